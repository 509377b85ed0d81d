"""What the `acs` and `v8` clients share on the wire: the one `requests.Session`
of a backend, and the auth that renews credentials once and resends once.

Each backend has exactly one session, made by `new_session`: its User-Agent,
keep-alive connections for the threads of a process, and no silent urllib3
retries (retrying is the outbox's decision). The session carries no auth:
each client passes its `RenewingAuth` to its own calls, so the IMS token
request, sent on the same session, is never signed with the token it fetches.
Neither client follows redirects (`allow_redirects=False` on every call): no
Campaign API documents one, and following one would carry the credentials to
wherever it points.
"""

import logging
from abc import ABC, abstractmethod
from functools import partial
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from .. import deadline

logger = logging.getLogger(__name__)


def new_session(user_agent: str, headers: dict[str, str] | None = None) -> requests.Session:
    """The session of one backend, shared by its threads and its IMS token client."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    session.headers.update(headers or {})
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class RenewingAuth[Credentials](AuthBase, ABC):
    """Signs every request with the current credentials; when the answer says
    they expired, renews them once and resends the request once.

    Subclasses say how, in four hooks: `current()` (the credentials to sign
    with, fetched when there are none), `sign()` (put them on a prepared
    request: headers, and the body if it carries them too), `refused()` (does
    this answer mean "expired credentials"?) and `renew(stale)` (new
    credentials to replace `stale`, unless another thread already did).

    Like `requests.auth.HTTPDigestAuth`, the resend is a response hook: the
    caller sees one response, the resent one (the refused one is in its
    `history`). The adapter sends it without running hooks again, so a second
    refusal reaches the client, whose error mapping makes it a
    `CampaignAuthError`. The resend keeps to the page's time budget
    (`deadline`).
    """

    name = "Campaign"  # who refused, in logs

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        credentials = self.current()
        self.sign(request, credentials)
        request.register_hook("response", partial(self._renew_once, stale=credentials))
        return request

    @abstractmethod
    def current(self) -> Credentials:
        """The credentials to sign the next request with."""

    @abstractmethod
    def sign(self, request: requests.PreparedRequest, credentials: Credentials) -> None:
        """Put `credentials` on `request` (replacing any already there)."""

    @abstractmethod
    def refused(self, response: requests.Response) -> bool:
        """Whether the answer says the credentials expired (a fresh set may work)."""

    @abstractmethod
    def renew(self, stale: Credentials) -> Credentials:
        """Credentials to replace `stale`, which were refused."""

    def _renew_once(
        self, response: requests.Response, *, stale: Credentials, **kwargs: Any
    ) -> requests.Response:
        if not self.refused(response):
            return response
        fresh = self.renew(stale)
        response.close()
        retry = response.request.copy()
        self.sign(retry, fresh)
        timeout = kwargs.get("timeout")
        if isinstance(timeout, tuple):
            kwargs["timeout"] = deadline.timeouts(*timeout)
        second: requests.Response = response.connection.send(retry, **kwargs)
        second.history.append(response)
        second.request = retry
        logger.info(
            "%s refused the credentials (HTTP %s); renewed them and resent once",
            self.name,
            response.status_code,
        )
        return second
