"""The one place the `v8` backend sends requests, and the one function that
maps what comes back (or does not) onto `signup_site.campaign.errors`.

Every call is `POST {V8_URL}/nl/jsp/soaprouter.jsp` with `Content-Type:
text/xml; charset=utf-8` and `SOAPAction: <schema>#<Method>` (campaign-api.md §C;
Adobe's acc-js-sdk `src/soap.js`), on the backend's one session
(`http.new_session`), never following a redirect. Two ways to authenticate,
each an `http.RenewingAuth`:

- `ims` (Campaign v8.5+, required from v8.6; Adobe's "Migrate technical
  operators to Adobe Developer Console" page), `V8TokenAuth`: `Authorization:
  Bearer <IMS token>` and an empty `<sessiontoken/>`. A fault carrying
  `XSV-350114` (IMS token expired; real Campaign puts it in the detail of
  SOP-330007, acc-js-sdk issue #108) or `XSV-350008`, or HTTP 401: renew the
  token once and resend once.
- `logon` (older instances), `V8SessionAuth`: `xtk:session#Logon(login,
  password, <parameters/>)` answers a session token and a security token;
  every later call carries `Cookie: __sessiontoken=<session>` and
  `X-Security-Token: <security>`, and the session token in `<sessiontoken>`
  too, as acc-js-sdk does. A fault carrying `XSV-350008` (session expired),
  in its faultstring or its detail: log on again once and resend once, signed
  anew, body included. A logon answer without both tokens is refused.

Faults arrive with HTTP 200, so the auths read the body of every answer that
may carry their fault, and `to_campaign_error` reads every body whatever the
status; replies are parsed by `soap.parse_xml` (no DTD, no entities).
"""

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from ...config import V8Config, campaign_config
from ...errors import (
    CampaignAuthError,
    CampaignError,
    CampaignRejected,
    CampaignThrottled,
    CampaignUnavailable,
)
from ..common import parse_retry_after
from ..http import RenewingAuth, ReplyTooLarge, new_session
from ..ims import IMSTokenClient
from . import soap

logger = logging.getLogger(__name__)

USER_AGENT = "signup_site (Adobe Campaign v8 SOAP)"
# Per call, not on the session: the IMS token request shares the session and is a form.
CONTENT_TYPE = "text/xml; charset=utf-8"
SESSION_EXPIRED = "XSV-350008"
IMS_TOKEN_EXPIRED = "XSV-350114"  # noqa: S105 (an error code, not a secret)


LOGON = "xtk:session#Logon"
# Adobe's documented refusal of a login carries no code at all, only this
# ("Event description", Message Center: faultstring "Error while reading
# parameters of method ...", detail "Invalid login or password. Connection denied.").
LOGIN_REFUSED = re.compile(r"invalid login or password|connection denied", re.IGNORECASE)


def _is_fault(response: requests.Response, *codes: str) -> bool:
    """Whether the answer is a SOAP fault carrying one of `codes` anywhere
    (faultstring or detail), whatever its status."""
    if not any(code.encode() in response.content for code in codes):  # most answers are not parsed here
        return False
    fault = soap.read_reply(response.content, "").fault
    return fault is not None and any(code in fault.codes for code in codes)


class V8TokenAuth(RenewingAuth[str]):
    """`V8_AUTH=ims`: the IMS bearer token; HTTP 401, or a fault carrying
    XSV-350114 (IMS token expired) or XSV-350008 (session expired: the token
    stands for one), renews it once and resends once. acc-js-sdk renews its
    bearer token on XSV-350008 as well (test "Expired session refresh client
    callback"); issue #108 shows XSV-350114 in the detail of SOP-330007."""

    name = "Campaign v8"

    def __init__(self, tokens: IMSTokenClient) -> None:
        self.tokens = tokens

    def current(self) -> str:
        return self.tokens.token()

    def sign(self, request: requests.PreparedRequest, credentials: str) -> None:
        request.headers["Authorization"] = f"Bearer {credentials}"

    def refused(self, response: requests.Response) -> bool:
        return response.status_code == 401 or _is_fault(response, IMS_TOKEN_EXPIRED, SESSION_EXPIRED)

    def renew(self, stale: str) -> str:
        return self.tokens.renew(stale)


@dataclass(frozen=True)
class LogonSession:
    """What `xtk:session#Logon` answers: the session token and its security token."""

    token: str = ""
    security: str = field(default="", repr=False)


class V8SessionAuth(RenewingAuth[LogonSession]):
    """`V8_AUTH=logon`: the logon session in the cookie, the security token
    in its header, the session token in the envelope's `<sessiontoken>`; fault
    XSV-350008 logs on again once and resends once.

    `log_on` sends `xtk:session#Logon`. One logon serves every thread: a burst
    of expired calls logs on once (`renew` replaces only the stale session).
    """

    name = "Campaign v8"

    def __init__(self, log_on: Callable[[], LogonSession]) -> None:
        self._log_on = log_on
        self._lock = threading.Lock()
        self._session = LogonSession()
        self.logons = 0  # diagnostics: how many times this auth logged on

    def current(self) -> LogonSession:
        with self._lock:
            if not self._session.token:
                self._replace()
            return self._session

    def renew(self, stale: LogonSession) -> LogonSession:
        with self._lock:
            if self._session.token in ("", stale.token):  # not already replaced by another thread
                self._replace()
            return self._session

    def forget(self) -> LogonSession:
        """Drop the session (the next call logs on); the session dropped."""
        with self._lock:
            session, self._session = self._session, LogonSession()
        return session

    def sign(self, request: requests.PreparedRequest, credentials: LogonSession) -> None:
        if not isinstance(request.body, bytes):
            raise TypeError("a SOAP request's body is the envelope's bytes")
        request.headers["Cookie"] = f"__sessiontoken={credentials.token}"
        request.headers["X-Security-Token"] = credentials.security
        request.prepare_body(soap.with_session_token(request.body, credentials.token), None)

    def refused(self, response: requests.Response) -> bool:
        return _is_fault(response, SESSION_EXPIRED)

    def _replace(self) -> None:
        """Log on; called with the lock held, so the other threads wait for it."""
        self._session = self._log_on()
        self.logons += 1


class SoapClient:
    """The session bound to one Campaign v8 instance, its auth, and its one
    `_send` method; shared by threads."""

    def __init__(self, config: V8Config) -> None:
        self.config = config
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.session = new_session(USER_AGENT, max_reply_bytes=campaign_config().max_reply_bytes)
        self.ims: IMSTokenClient | None = None
        self.auth: V8TokenAuth | V8SessionAuth
        if config.auth == "ims":
            self.ims = IMSTokenClient(
                config.ims_url,
                config.client_id,
                config.client_secret,
                config.scopes,
                session=self.session,
                timeout=self.timeout,
            )
            self.auth = V8TokenAuth(self.ims)
        else:
            self.auth = V8SessionAuth(self._log_on)

    @property
    def logons(self) -> int:
        """Diagnostics: how many times this client logged on."""
        return self.auth.logons if isinstance(self.auth, V8SessionAuth) else 0

    def call(self, schema: str, method: str, params: list[soap.Param]) -> soap.Outputs:
        """Call `schema#method` with `params` after the session token; its outputs.

        An expired session or IMS token is renewed once and the call resent
        once (by the auth); anything else is a `CampaignError`.
        """
        return self._send(schema, method, params, self.auth)

    def logoff(self) -> None:
        """End the logon session, if there is one (best effort)."""
        if not isinstance(self.auth, V8SessionAuth):
            return
        auth, session = self.auth, self.auth.forget()
        if not session.token:
            return

        def signed(request: requests.PreparedRequest) -> requests.PreparedRequest:
            auth.sign(request, session)  # the session ending, not renewed if refused
            return request

        try:
            self._send("xtk:session", "Logoff", [], signed)
        except CampaignError as exc:
            logger.info("v8 logoff failed: %s", type(exc).__name__)

    def _log_on(self) -> LogonSession:
        """`xtk:session#Logon`, sent unsigned; `V8SessionAuth` calls it."""
        params: list[soap.Param] = [
            ("strLogin", self.config.login),
            ("strPassword", self.config.password),
            ("elemParameters", soap.element("parameters")),
        ]
        try:
            outputs = self._send("xtk:session", "Logon", params, None)
        except (CampaignAuthError, CampaignRejected) as exc:
            raise CampaignAuthError(f"xtk:session#Logon refused: {exc}") from None
        session = LogonSession(
            token=outputs.text("pstrSessionToken", 0), security=outputs.text("pstrSecurityToken", 2)
        )
        # Half a session is no session: every later call would be refused (as
        # acc-js-sdk's logon refuses an answer missing either token).
        if not session.token:
            raise CampaignAuthError("xtk:session#Logon answered no session token")
        if not session.security:
            raise CampaignAuthError("xtk:session#Logon answered no security token")
        logger.info("v8 logged on")
        return session

    def _send(
        self,
        schema: str,
        method: str,
        params: list[soap.Param],
        auth: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None,
    ) -> soap.Outputs:
        """Send one request and read its answer: the only `requests` call of the backend.

        The whole call, a renewal and resend included, takes at most
        V8_READ_TIMEOUT_SECONDS (less inside a page's budget), and its reply
        at most CAMPAIGN_MAX_REPLY_BYTES (`http.CampaignSession`).
        """
        action = f"{schema}#{method}"
        try:
            # The session token, when there is one, is the auth's to put in.
            body = soap.build_envelope(schema, method, "", params)
        except (ValueError, TypeError) as exc:  # text XML cannot carry, e.g. control characters
            raise CampaignRejected(f"{action}: a value cannot be sent ({exc})") from None
        try:
            response = self.session.post(
                self.config.router_url,
                data=body,
                headers={"Content-Type": CONTENT_TYPE, "SOAPAction": action},
                auth=auth,
                timeout=self.timeout,
                # The router documents no redirect; one must not carry the credentials elsewhere.
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise to_campaign_error(exc, action=action) from None
        reply = soap.read_reply(response.content, method)
        if response.status_code == 200 and reply.outputs is not None:
            return reply.outputs
        raise to_campaign_error(response, action=action)


def to_campaign_error(
    outcome: requests.Response | requests.RequestException, *, action: str
) -> CampaignError:
    """THE mapping from a v8 answer, or a failure to get one, to what the
    caller should do. Faults decide (they arrive with HTTP 200 as well as with
    500), except that 401 always means a refused token and 429 "slow down":

    - timeouts (the call's deadline), connection errors, a reply over
      CAMPAIGN_MAX_REPLY_BYTES, 429 (with `Retry-After`), 5xx without a fault,
      an unusable 200 (an HTML page, a DOCTYPE) -> `CampaignUnavailable`
    - XSV-350008 / XSV-350114 anywhere in the fault (Campaign wraps them:
      SOP-330007 with XSV-350114 in its detail) or HTTP 401, after the auth's
      one renewal; any other XSV code anywhere in it; any fault answering
      Logon, with a code or none; Adobe's code-less "Invalid login or
      password. Connection denied."; a redirect (not followed), 403/404 (no
      SOAP router at V8_URL, or no rights) -> `CampaignAuthError`
    - other faults (SOP-330006 unknown method, SOP-330007 bad parameters,
      SOP-330011 error while executing), anything else -> `CampaignRejected`

    Messages carry codes, never personal data.
    """
    if isinstance(outcome, ReplyTooLarge):
        return CampaignUnavailable(f"{action}: {outcome}")
    if isinstance(outcome, requests.RequestException):
        return CampaignUnavailable(f"{action}: Campaign unreachable ({type(outcome).__name__})")
    response = outcome
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    reply = soap.read_reply(response.content, action.partition("#")[2])
    fault = reply.fault
    codes = fault.codes if fault is not None else ()
    where = f"{action}: {' '.join(codes) or 'SOAP fault'}"
    if SESSION_EXPIRED in codes:
        return CampaignAuthError(f"{where} session expired")
    if IMS_TOKEN_EXPIRED in codes or status == 401:
        return CampaignAuthError(f"{action}: IMS token refused ({' '.join(codes) or 'HTTP 401'})")
    if status == 429:
        return CampaignThrottled(f"{action}: throttled (HTTP 429)", retry_after=retry_after)
    if 300 <= status < 400:
        return CampaignAuthError(
            f"{action}: HTTP {status}, a redirect from the SOAP router, not followed (check V8_URL)"
        )
    if fault is not None:
        refused = action == LOGON or LOGIN_REFUSED.search(fault.message) is not None
        if refused or any(code.startswith("XSV-") for code in codes):
            return CampaignAuthError(f"{where} {fault.message[:300]}")
        return CampaignRejected(f"{where} {fault.message[:300]}")
    if status in (403, 404):
        # Refused, or no SOAP router at V8_URL: an operator must act.
        return CampaignAuthError(f"{action}: HTTP {status} from the SOAP router (check V8_URL and rights)")
    if status >= 500:
        return CampaignUnavailable(f"{action}: Campaign error (HTTP {status})", retry_after=retry_after)
    if status == 200 and reply.problem:
        # An HTML page from a proxy, or a hostile document (a DOCTYPE): never
        # a success, and not the data's fault. Kept, visible, and retried.
        return CampaignUnavailable(f"{action}: unusable reply ({reply.problem})")
    return CampaignRejected(f"{action}: unexpected HTTP {status}")
