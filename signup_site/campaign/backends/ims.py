"""Adobe IMS OAuth server-to-server tokens, for the `acs` and `v8` backends.

Follows Adobe's "OAuth Server-to-Server credential implementation guide"
(developer.adobe.com/developer-console/docs/guides/authentication/ServerToServerAuthentication/implementation):
`POST {IMS_URL}/ims/token/v3` with `grant_type=client_credentials`, the client
id and secret and the scopes, form-encoded; the answer carries `access_token`
and `expires_in` in seconds (about 24 hours). There is no refresh token: a
client asks again. The JWT exchange it replaced stopped working in January
2025 and is deliberately not implemented.

One `IMSTokenClient` per set of credentials, shared by every thread of a
process: the token is fetched once, renewed a few minutes before it expires,
and renewed at most once per rejected token (`renew(stale)`), so a burst of
401s from many threads costs one token request, not one each. It sends on the
session of the backend it serves (`http.new_session`), so a backend has one,
and the token request is bounded like every call: `timeout=(connect, limit)`,
`limit` for the whole request (inside the call that needed the token, only
what is left of that call's), the reply at most CAMPAIGN_MAX_REPLY_BYTES.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from ..errors import CampaignAuthError, CampaignError, CampaignUnavailable
from .http import CampaignSession, ReplyTooLarge

logger = logging.getLogger(__name__)

TOKEN_PATH = "/ims/token/v3"  # noqa: S105 (a path, not a password)
# Renew this long before expiry (or a tenth of the lifetime, for short-lived
# tokens), so a token never expires between being read and being used.
RENEW_MARGIN_SECONDS = 300.0


class IMSTokenClient:
    """Client-credentials tokens from Adobe IMS, cached and thread-safe.

    `token()` answers the current token, fetching one when there is none or
    it is about to expire. `renew(stale)` is for a 401 from the API: it fetches
    a new token unless another thread already replaced `stale`.
    """

    def __init__(
        self,
        ims_url: str,
        client_id: str,
        client_secret: str,
        scopes: tuple[str, ...],
        *,
        session: CampaignSession,
        timeout: tuple[float, float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (ims_url and client_id and client_secret):
            raise CampaignAuthError("IMS is not configured: set the IMS URL, client id and client secret")
        self.token_url = ims_url.rstrip("/") + TOKEN_PATH
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._renew_at = 0.0
        self.fetches = 0  # how many tokens this client asked for (tests, diagnostics)
        self._session = session

    def __repr__(self) -> str:  # never the secret, never the token
        return f"<IMSTokenClient {self.token_url} client_id={self.client_id}>"

    def token(self) -> str:
        """A valid access token, fetched only when needed."""
        with self._lock:
            if not self._token or self._clock() >= self._renew_at:
                self._fetch()
            return self._token

    def renew(self, stale: str) -> str:
        """A new token to replace `stale`, which the API refused.

        When another thread has already replaced it, that token is answered
        without asking IMS again.
        """
        with self._lock:
            if self._token == stale or not self._token:
                self._fetch()
            return self._token

    def forget(self) -> None:
        """Drop the cached token (the next call fetches a new one)."""
        with self._lock:
            self._token = ""
            self._renew_at = 0.0

    def _fetch(self) -> None:
        """Ask IMS for a token; called with the lock held."""
        data = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "scope": ",".join(self.scopes),
        }
        self.fetches += 1
        try:
            response = self._session.post(
                self.token_url, data=data, timeout=self.timeout, allow_redirects=False
            )
        except ReplyTooLarge as exc:
            logger.warning("IMS token request failed: %s", type(exc).__name__)
            raise CampaignUnavailable(f"IMS: {exc}") from None
        except requests.RequestException as exc:
            logger.warning("IMS token request failed: %s", type(exc).__name__)
            raise CampaignUnavailable(f"IMS unreachable: {type(exc).__name__}") from None
        body = _json_object(response)
        if response.status_code != 200:
            raise _token_error(response, body)
        token = body.get("access_token")
        try:
            lifetime = float(body.get("expires_in", 0))
        except (TypeError, ValueError):
            lifetime = 0.0
        if not isinstance(token, str) or not token or lifetime <= 0:
            raise CampaignUnavailable("IMS answered without a usable token")
        margin = min(RENEW_MARGIN_SECONDS, lifetime / 10)
        self._token = token
        self._renew_at = self._clock() + lifetime - margin
        logger.info("IMS token obtained, valid %d s", int(lifetime))


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _token_error(response: requests.Response, body: dict[str, Any]) -> CampaignError:
    """IMS refusals: bad credentials need an operator; IMS outages pass."""
    status = response.status_code
    code = str(body.get("error", ""))[:64]
    logger.warning("IMS refused a token: HTTP %s %s", status, code)
    if status == 429 or status >= 500:
        return CampaignUnavailable(f"IMS unavailable: HTTP {status}")
    return CampaignAuthError(f"IMS refused the credentials: HTTP {status} {code}".strip())
