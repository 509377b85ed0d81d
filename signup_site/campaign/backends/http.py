"""What the `acs` and `v8` clients share on the wire: the one `requests.Session`
of a backend, which bounds every call in time and size, and the auth that
renews credentials once and resends once.

Each backend has exactly one session, made by `new_session`: its User-Agent,
keep-alive connections for the threads of a process, and no silent urllib3
retries (retrying is the outbox's decision). The session carries no auth:
each client passes its `RenewingAuth` to its own calls, so the IMS token
request, sent on the same session, is never signed with the token it fetches.
Neither client follows redirects (`allow_redirects=False` on every call): no
Campaign API documents one, and following one would carry the credentials to
wherever it points.

`requests` timeouts bound each socket operation, not a call: a reply that
trickles a byte a second never times out. So the session gives each call one
deadline (`CampaignSession.request`):

- `timeout=(connect, limit)`: `connect` bounds connecting; `limit` bounds the
  whole call (connecting, sending, the status line, the headers, every read
  of the body, and an IMS token fetch or a renew-and-resend made inside it).
  Inside a page's budget (`deadline.within`) the earlier deadline wins.
- Every socket read of a reply waits at most what is left of that deadline
  (`_DeadlineReader`), so past it the read times out wherever the server is
  in its answer; the connection is closed, not reused, and the caller gets a
  `requests.exceptions.ReadTimeout`, which both clients map to
  `CampaignUnavailable`. (Name resolution and a TLS handshake are bounded by
  the connect timeout, cut to what is left, per operation.)
- Replies are read whole here, in chunks, before any hook or client sees
  them: a body over `max_reply_bytes` (`CAMPAIGN_MAX_REPLY_BYTES`) raises
  `ReplyTooLarge` (a `Content-Length` over it before reading anything, any
  other body once that much has been read), and the connection is closed.
"""

import http.client
import io
import logging
import socket
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import partial
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from .. import deadline

logger = logging.getLogger(__name__)

# Read replies in pieces of this size (what is held beyond the body itself).
CHUNK_BYTES = 64 * 1024


class ReplyTooLarge(requests.RequestException):
    """The reply is larger than the session's `max_reply_bytes`; it was not read."""


def new_session(
    user_agent: str, headers: dict[str, str] | None = None, *, max_reply_bytes: int
) -> "CampaignSession":
    """The session of one backend, shared by its threads and its IMS token client."""
    session = CampaignSession()
    session.headers["User-Agent"] = user_agent
    session.headers.update(headers or {})
    adapter = BoundedAdapter(max_reply_bytes)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class CampaignSession(requests.Session):
    """A session whose every call has one deadline: `timeout=(connect, limit)`
    is mandatory, and `limit` bounds the whole call (see the module docstring)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        timeout = kwargs.get("timeout")
        if not (isinstance(timeout, tuple) and len(timeout) == 2):
            raise TypeError("a Campaign call needs timeout=(connect, whole-call limit) in seconds")
        # Set before the auth runs: an IMS token fetched for this call, and a
        # renew-and-resend, spend this call's time, not time of their own.
        with deadline.within(timeout[1]):
            return super().request(method, url, *args, **kwargs)


class BoundedAdapter(HTTPAdapter):
    """Sends on connections whose reads keep to the call's deadline, and reads
    each reply whole, at most `max_reply_bytes` of it, before answering it.

    Every request goes through `send`, the resend of `RenewingAuth` included,
    so the auth's hook (which reads the body for faults) only ever sees a
    reply read within the limits.
    """

    def __init__(self, max_reply_bytes: int) -> None:
        self.max_reply_bytes = max_reply_bytes
        super().__init__(pool_connections=2, pool_maxsize=16, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_deadline_pools(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(*args, **kwargs)
        _use_deadline_pools(manager)
        return manager

    def send(  # type: ignore[override]  # one signature for the adapter and the auth's resend
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        timeout = kwargs.get("timeout")
        if isinstance(timeout, tuple):
            # Cut here, at the last moment: the auth may have spent time
            # fetching a token, and a resend comes after a whole first answer.
            kwargs["timeout"] = deadline.timeouts(*timeout)
        response = super().send(request, stream=True, **kwargs)
        try:
            _read_body(response, self.max_reply_bytes)
        except BaseException:
            response.close()  # a half-read connection is closed, never reused
            raise
        return response


def _read_body(response: requests.Response, limit: int) -> None:
    """Read the body into `response.content`, refusing more than `limit` bytes."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(
            f"the reply declares {int(declared)} bytes, over CAMPAIGN_MAX_REPLY_BYTES ({limit}); not read",
            response=response,
        )
    body = bytearray()
    try:
        # Decoded bytes are counted: a compressed body is capped at what it expands to.
        for chunk in response.raw.stream(CHUNK_BYTES, decode_content=True):
            body += chunk
            if len(body) > limit:
                raise ReplyTooLarge(
                    f"the reply is over CAMPAIGN_MAX_REPLY_BYTES ({limit}); abandoned", response=response
                )
    # The same translations as `requests.Response.iter_content`, except that a
    # timeout stays a timeout (requests makes it a ConnectionError).
    except ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc, response=response) from None
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc, response=response) from None
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc, response=response) from None
    except SSLError as exc:
        raise requests.exceptions.SSLError(exc, response=response) from None
    # What `Response.content` would have set after reading the body itself.
    response._content = bytes(body)
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' flag, not in the stubs


# --- connections whose reads keep to the deadline --------------------------------------


class _DeadlineReader(io.RawIOBase):
    """The socket reads of one reply, each one's timeout cut to what is left of
    the call's deadline: no read starts after it, none waits past it."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._read_timeout = sock.gettimeout()  # set by urllib3 for this reply

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = deadline.remaining()
        if left is not None:
            if left <= 0:
                raise TimeoutError("the call's deadline has passed")
            self._sock.settimeout(left if self._read_timeout is None else min(self._read_timeout, left))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading its status line, headers and body
    through a `_DeadlineReader`."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # The raw socket file keeps its place in the socket's reference count,
        # so a reply with `Connection: close` is still read to its end.
        self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock))


class _Connection(HTTPConnection):
    response_class = _DeadlineResponse


class _TLSConnection(HTTPSConnection):
    response_class = _DeadlineResponse


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


_DEADLINE_POOLS: Mapping[str, type[HTTPConnectionPool]] = {"http": _Pool, "https": _TLSPool}


def _use_deadline_pools(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = dict(_DEADLINE_POOLS)


# --- credentials renewed once ------------------------------------------------------------


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
    `CampaignAuthError`. The renewal and the resend run inside the call's
    deadline (`CampaignSession`): they spend what is left of it, no more; the
    adapter cuts the resend's timeouts and bounds its reply like the first.
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
        second: requests.Response = response.connection.send(retry, **kwargs)
        second.history.append(response)
        second.request = retry
        logger.info(
            "%s refused the credentials (HTTP %s); renewed them and resent once",
            self.name,
            response.status_code,
        )
        return second
