"""The emulated Adobe IMS token endpoint, shared by the ACS and v8 emulators.

`POST /emulator/ims/token/v3` (so a client's IMS base URL is
`<site>/emulator`), client credentials in a form body, as in Adobe's "OAuth
Server-to-Server credential implementation guide". The emulators check bearer
tokens with `token_status()`.

Controls (`/emulator/ims/_control/`, the API of ../control.py): the lifetime
of new tokens, "expire every token now" (the next API call gets a 401 and
must renew), and latency, outages and faults on the token endpoint.
"""

from .tokens import TOKENS, token_status

__all__ = ["TOKENS", "token_status"]
