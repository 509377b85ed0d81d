"""The `v8` backend: Adobe Campaign v8's SOAP API.

- `config`: the V8_* settings, read when the backend is created.
- `soap`: envelopes built with lxml; replies read with a hardened parser.
- `client`: the one place that sends requests (the session, timeouts, no
  redirects), the auth (IMS bearer or logon session, renewed once and resent
  once when expired, on `..http.RenewingAuth`) and the one function that maps
  failures onto `errors` (`to_campaign_error`).
- `backend`: the `CampaignBackend` verbs on top of the client (the PKey and
  staging decisions are in its docstring).

Wire contract: ../shared/spec/campaign-api.md §A and §C.
"""

from .backend import V8Backend

__all__ = ["V8Backend"]
