"""The emulated Adobe IMS token endpoint, shared by the ACS and v8 emulators.

`POST /emulator/ims/token/v3` (so a client's IMS base URL is
`<site>/emulator`), client credentials in a form body, as in Adobe's "OAuth
Server-to-Server credential implementation guide". The emulators check bearer
tokens with `token_status()`.

Knobs (`/emulator/ims/_control/`): the lifetime of new tokens, and "expire
every token now" (the next API call gets a 401 and must renew).
"""

from .tokens import TOKENS, token_status

__all__ = ["TOKENS", "token_status"]
