"""The one place the `v8` backend sends requests, and the one function that
maps what comes back onto `signup_site.campaign.errors`.

Every call is `POST {V8_URL}/nl/jsp/soaprouter.jsp` with `Content-Type:
text/xml; charset=utf-8` and `SOAPAction: <schema>#<Method>` (campaign-api.md §C;
Adobe's acc-js-sdk `src/soap.js`). Two ways to authenticate:

- `ims` (Campaign v8.5+, required from v8.6; Adobe's "Migrate technical
  operators to Adobe Developer Console" page): `Authorization: Bearer <IMS
  token>` and an empty `<sessiontoken/>`. Fault `XSV-350114` (IMS token
  expired) or HTTP 401: renew the token once and retry once.
- `logon` (older instances): `xtk:session#Logon(login, password, <parameters/>)`
  answers a session token and a security token; every later call carries
  `Cookie: __sessiontoken=<session>` and `X-Security-Token: <security>`, and
  the session token in `<sessiontoken>` too, as acc-js-sdk does. Fault
  `XSV-350008` (session expired): log on again once and retry once.

Faults arrive with HTTP 200, so every body is checked for one whatever the
status; replies are parsed by `soap.parse_xml` (no DTD, no entities).
"""

import logging
import threading
from dataclasses import dataclass

import requests

from ... import deadline
from ...errors import CampaignAuthError, CampaignError, CampaignRejected, CampaignUnavailable
from ..common import parse_retry_after
from ..http import new_session
from ..ims import IMSTokenClient
from . import soap
from .config import V8Config

logger = logging.getLogger(__name__)

USER_AGENT = "signup_site (Adobe Campaign v8 SOAP)"
# Per call, not on the session: the IMS token request shares the session and is a form.
CONTENT_TYPE = "text/xml; charset=utf-8"
SESSION_EXPIRED = "XSV-350008"
IMS_TOKEN_EXPIRED = "XSV-350114"  # noqa: S105 (an error code, not a secret)


class SessionExpired(CampaignAuthError):
    """XSV-350008: the logon session is over (or was never valid)."""


class TokenExpired(CampaignAuthError):
    """XSV-350114 or HTTP 401: the IMS bearer token was refused."""


def map_failure(
    *,
    method: str,
    status: int | None = None,
    fault: soap.Fault | None = None,
    malformed: soap.MalformedReply | None = None,
    exception: requests.RequestException | None = None,
    retry_after: float | None = None,
) -> CampaignError:
    """What a failed call means for the caller: retry later, stop, or call an operator.

    Faults decide (they arrive with HTTP 200 as well as with 500), except that
    401 always means "renew the token" and 429 "slow down". Messages carry
    codes, never personal data.
    """
    code = fault.code if fault is not None else ""
    where = f"{method}: {code or 'SOAP fault'}"
    if code == SESSION_EXPIRED:
        return SessionExpired(f"{where} session expired")
    if code == IMS_TOKEN_EXPIRED or status == 401:
        return TokenExpired(f"{method}: IMS token refused ({code or 'HTTP 401'})")
    if exception is not None:
        return CampaignUnavailable(f"{method}: Campaign unreachable ({type(exception).__name__})")
    if status == 429:
        return CampaignUnavailable(f"{method}: throttled (HTTP 429)", retry_after=retry_after)
    if fault is not None:
        if code.startswith("XSV-"):
            return CampaignAuthError(f"{where} {fault.message[:300]}")
        return CampaignRejected(f"{where} {fault.message[:300]}")
    if status in (403, 404):
        # Refused, or no SOAP router at V8_URL: an operator must act.
        return CampaignAuthError(f"{method}: HTTP {status} from the SOAP router (check V8_URL and rights)")
    if status is not None and status >= 500:
        return CampaignUnavailable(f"{method}: Campaign error (HTTP {status})", retry_after=retry_after)
    if malformed is not None and status == 200:
        # An HTML page from a proxy, or a hostile document (a DOCTYPE): never
        # a success, and not the data's fault. Kept, visible, and retried.
        return CampaignUnavailable(f"{method}: unusable reply ({malformed})")
    return CampaignRejected(f"{method}: unexpected HTTP {status}")


@dataclass
class _Session:
    token: str = ""
    security: str = ""


class SoapClient:
    """Calls SOAP methods on one Campaign v8 instance; shared by threads."""

    def __init__(self, config: V8Config) -> None:
        self.config = config
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.session = new_session(USER_AGENT)
        self.ims = (
            IMSTokenClient(
                config.ims_url,
                config.client_id,
                config.client_secret,
                config.scopes,
                session=self.session,
                timeout=self.timeout,
            )
            if config.auth == "ims"
            else None
        )
        self._lock = threading.Lock()
        self._session = _Session()
        self.logons = 0  # diagnostics: how many times this client logged on

    def call(self, schema: str, method: str, params: list[soap.Param]) -> soap.Outputs:
        """Call `schema#method` with `params` after the session token; its outputs.

        An expired session or IMS token is renewed once and the call retried once.
        """
        credentials = self._credentials()
        try:
            return self._post(schema, method, params, credentials)
        except SessionExpired:
            logger.info("v8 session expired: logging on again")
            return self._post(schema, method, params, self._logon(stale=credentials))
        except TokenExpired:
            if self.ims is None:
                raise
            logger.info("v8 IMS token refused: renewing it")
            return self._post(schema, method, params, _Session(token=self.ims.renew(credentials.token)))

    def logoff(self) -> None:
        """End the logon session, if there is one (best effort)."""
        with self._lock:
            session, self._session = self._session, _Session()
        if session.token:
            try:
                self._post("xtk:session", "Logoff", [], session)
            except CampaignError as exc:
                logger.info("v8 logoff failed: %s", type(exc).__name__)

    def _credentials(self) -> _Session:
        if self.ims is not None:
            return _Session(token=self.ims.token())
        with self._lock:
            if self._session.token:
                return self._session
        return self._logon(stale=None)

    def _logon(self, stale: _Session | None) -> _Session:
        """Log on (once for all threads waiting on an expired session)."""
        if self.ims is not None:
            raise CampaignAuthError("the session expired under IMS authentication")
        with self._lock:
            if self._session.token and (stale is None or self._session.token != stale.token):
                return self._session  # another thread already logged on again
            params: list[soap.Param] = [
                ("strLogin", self.config.login),
                ("strPassword", self.config.password),
                ("elemParameters", soap.element("parameters")),
            ]
            try:
                outputs = self._post("xtk:session", "Logon", params, _Session())
            except (SessionExpired, CampaignRejected) as exc:
                raise CampaignAuthError(f"xtk:session#Logon refused: {exc}") from None
            session = _Session(
                token=outputs.text("pstrSessionToken", 0), security=outputs.text("pstrSecurityToken", 2)
            )
            if not session.token:
                raise CampaignAuthError("xtk:session#Logon answered no session token")
            self._session = session
            self.logons += 1
            return session

    def _post(self, schema: str, method: str, params: list[soap.Param], auth: _Session) -> soap.Outputs:
        """Send one request and read its answer: the only `requests` call of the backend."""
        action = f"{schema}#{method}"
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": action}
        if self.ims is not None:
            headers["Authorization"] = f"Bearer {auth.token}"
            session_token = ""
        else:
            session_token = auth.token
            if auth.token:
                headers["Cookie"] = f"__sessiontoken={auth.token}"
                headers["X-Security-Token"] = auth.security
        try:
            body = soap.build_envelope(schema, method, session_token, params)
        except (ValueError, TypeError) as exc:  # text XML cannot carry, e.g. control characters
            raise CampaignRejected(f"{action}: a value cannot be sent ({exc})") from None
        try:
            response = self.session.post(
                self.config.router_url, data=body, headers=headers, timeout=deadline.timeouts(*self.timeout)
            )
        except requests.RequestException as exc:
            raise map_failure(method=action, exception=exc) from None
        return _read(action, method, response)


def _read(action: str, method: str, response: requests.Response) -> soap.Outputs:
    status, retry_after = response.status_code, parse_retry_after(response.headers.get("Retry-After"))
    try:
        root = soap.parse_xml(response.content)
        fault = soap.find_fault(root)
        if fault is None and status == 200:
            return soap.Outputs.of(soap.method_response(root, method))
    except soap.MalformedReply as exc:
        raise map_failure(method=action, status=status, malformed=exc, retry_after=retry_after) from None
    raise map_failure(method=action, status=status, fault=fault, retry_after=retry_after)
