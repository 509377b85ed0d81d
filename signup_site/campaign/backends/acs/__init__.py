"""The `acs` backend: Adobe Campaign Standard's REST API (`mc.adobe.io`).

- `config`: the ACS_* settings, read when the backend is created.
- `client`: the one place that sends requests (the session, timeouts, no
  redirects), the auth (IMS bearer and API key, renewed once and resent once
  when refused, on `..http.RenewingAuth`) and the one function that maps
  failures onto `errors` (`to_campaign_error`).
- `backend`: the `CampaignBackend` verbs on top of the client.

Wire contract: ../shared/spec/campaign-api.md §A-B, from Adobe's "Campaign
Standard API" guide (experienceleague.adobe.com/docs/campaign-standard/using/
working-with-apis/...).
"""

from .backend import ACSBackend

__all__ = ["ACSBackend"]
