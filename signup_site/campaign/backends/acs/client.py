"""The one place the `acs` backend sends requests, and the one function that
maps what comes back (or does not) onto `signup_site.campaign.errors`.

Follows Adobe's "Campaign Standard API" guide: every call carries
`Authorization: Bearer <IMS token>`, `X-Api-Key: <client id>` and
`Cache-Control: no-cache` ("Setting up API access"); collections are followed
through their `next.href` ("Pagination"); links the API returns are used as
they are, never assembled ("do not try to build an URL by yourself"); errors
come from the API gateway as JSON `error_code`s or from Campaign as a status
plus a message of undocumented shape ("Error management").
"""

import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ...config import ACSConfig, campaign_config
from ...errors import (
    CampaignAuthError,
    CampaignError,
    CampaignMisconfigured,
    CampaignRejected,
    CampaignThrottled,
    CampaignUnavailable,
)
from ..common import parse_retry_after
from ..http import RenewingAuth, ReplyTooLarge, new_session
from ..ims import IMSTokenClient

logger = logging.getLogger(__name__)

USER_AGENT = f"signup_site/0.1 (+Adobe Campaign Standard backend) python-requests/{requests.__version__}"
# Gateway codes that a fresh token cannot fix: the API key is missing or wrong.
API_KEY_CODES = {"403000", "403003"}
MAX_PAGES = 200
# Campaign answers validation problems with a 500 and a message (spec §B):
# read-only or unknown properties, bad enumeration values, unparsable
# expressions, duplicates. Those are permanent: retrying cannot help.
VALIDATION = re.compile(
    r"read-only|read only|not valid for the .{0,120}enumeration|enumeration value"
    r"|unknown (property|field|attribute|node)|(property|field|attribute) .{0,120}"
    r"(is unknown|does not exist|doesn't exist|not found)"
    r"|unable to parse|XTK-170036|duplicate|already exists|too long|invalid value",
    re.IGNORECASE,
)
# Adobe I/O's answer to a URI it cannot route: HTTP 500 {"code": 500,
# "message": "Oops. Something went wrong. Check your URI and try again."},
# most likely an organization that is not the one of the credentials ("API
# troubleshooting"). Retrying cannot fix a setting.
NO_ROUTE = re.compile(r"check your URI", re.IGNORECASE)
# "Transactional messages": the request "must contain a Content-Type:
# application/json header. You must add a charset". The SDK's spec/api.json
# gives every call that Content-Type as its default, so every JSON body here
# carries it (requests encodes `json=` bodies as UTF-8).
JSON_UTF8 = "application/json;charset=utf-8"
# How much of an error body is scrubbed of addresses and PKeys before the first 500 characters are kept.
SCRUBBED_PREFIX = 4000
CAMPAIGN_CODE = re.compile(r"\b[A-Z]{3}-\d{6}\b")
EMAIL = re.compile(r"[^\s'\"<>@]+@[^\s'\"<>@]+\.[A-Za-z]{2,}")
# PKeys are identifiers: kept out of error messages (they reach the admin).
PKEY = re.compile(r"(?<![\w.])@[\w\-+/=]{6,}")


class ACSAuth(RenewingAuth[str]):
    """Signs with the IMS bearer token, the API key and `Cache-Control:
    no-cache` ("Setting up API access"), and declares a body's charset
    (`JSON_UTF8`); a 401, or a 403 that is not about the API key, renews the
    token once and resends once (`RenewingAuth`)."""

    name = "ACS"

    def __init__(self, tokens: IMSTokenClient, api_key: str) -> None:
        self.tokens = tokens
        self.api_key = api_key

    def current(self) -> str:
        return self.tokens.token()

    def sign(self, request: requests.PreparedRequest, credentials: str) -> None:
        request.headers["Authorization"] = f"Bearer {credentials}"
        request.headers["X-Api-Key"] = self.api_key
        request.headers["Cache-Control"] = "no-cache"
        if request.body is not None and request.headers.get("Content-Type") == "application/json":
            request.headers["Content-Type"] = JSON_UTF8

    def refused(self, response: requests.Response) -> bool:
        """401 (gateway 401013: bad or expired token), or a 403 a fresh token
        may fix (not the API key codes)."""
        if response.status_code == 401:
            return True
        return response.status_code == 403 and read_error(response)[0] not in API_KEY_CODES

    def renew(self, stale: str) -> str:
        return self.tokens.renew(stale)


class ACSClient:
    """The session bound to one ACS organization, and its one `request` method."""

    def __init__(self, config: ACSConfig) -> None:
        self.config = config
        self.session = new_session(
            USER_AGENT, {"Accept": "application/json"}, max_reply_bytes=campaign_config().max_reply_bytes
        )
        self.tokens = IMSTokenClient(
            config.ims_url,
            config.client_id,
            config.client_secret,
            config.scopes,
            session=self.session,
            timeout=(config.connect_timeout, config.write_timeout),
        )
        self.auth = ACSAuth(self.tokens, config.client_id)
        self._origin = _origin(config.api_url)

    def url(self, path: str) -> str:
        """A documented top-level resource, e.g. `/profileAndServices/profile`."""
        return self.config.base_url + path

    def href(self, href: object) -> str:
        """A link the API returned, checked: the bearer token goes to ACS only."""
        if not isinstance(href, str) or not href:
            raise CampaignUnavailable("ACS answered without the expected link")
        absolute = urljoin(self.config.base_url + "/", href)
        if _origin(absolute) != self._origin:
            raise CampaignRejected("ACS returned a link to another host; not following it")
        return absolute

    def request(
        self,
        method: str,
        url: str,
        *,
        action: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        not_found: type[CampaignError] = CampaignRejected,
    ) -> dict[str, Any]:
        """Send one request; the decoded JSON object (`{}` for 204), or a `CampaignError`.

        `action` names the call in logs: no URL, PKey or address is logged.
        A GET takes at most `read_timeout` in all (pages wait on them), a write
        `write_timeout`: connecting, the whole answer, and a token renewal and
        resend inside it (`http.CampaignSession`); the reply at most
        CAMPAIGN_MAX_REPLY_BYTES.
        """
        read = self.config.read_timeout if method == "GET" else self.config.write_timeout
        started = time.monotonic()
        try:
            # No redirects: the API documents none, and one must not carry the key elsewhere.
            response = self.session.request(
                method,
                url,
                json=json,
                params=params,
                auth=self.auth,
                timeout=(self.config.connect_timeout, read),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = to_campaign_error(exc, action=action, not_found=not_found)
            logger.warning("ACS %s %s failed: %s", method, action, type(exc).__name__)
            raise error from None
        elapsed = (time.monotonic() - started) * 1000
        if 200 <= response.status_code < 300:
            if response.status_code == 204 or not response.content:
                logger.debug("ACS %s %s -> %s in %.0f ms", method, action, response.status_code, elapsed)
                return {}
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                logger.debug("ACS %s %s -> %s in %.0f ms", method, action, response.status_code, elapsed)
                return body
        code, message = read_error(response)
        codes = " ".join([code, *CAMPAIGN_CODE.findall(message)]).strip()
        logger.warning(
            "ACS %s %s -> HTTP %s%s in %.0f ms",
            method,
            action,
            response.status_code,
            f" {codes}" * bool(codes),
            elapsed,
        )
        raise to_campaign_error(response, action=action, not_found=not_found)

    def collection(
        self,
        url: str,
        *,
        action: str,
        params: dict[str, str] | None = None,
        not_found: type[CampaignError] = CampaignRejected,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following `next.href` page by page."""
        page = self.request("GET", url, action=action, params=params, not_found=not_found)
        for _ in range(MAX_PAGES):
            content = page.get("content")
            for item in content if isinstance(content, list) else []:
                if isinstance(item, dict):
                    yield item
            following = page.get("next")
            if not isinstance(following, dict) or not following.get("href"):
                return
            page = self.request("GET", self.href(following["href"]), action=action, not_found=not_found)
        raise CampaignUnavailable(f"ACS {action}: more than {MAX_PAGES} pages")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def read_error(response: requests.Response) -> tuple[str, str]:
    """(gateway `error_code` or "", a one-line message) from a body that may be
    a JSON object, a JSON string, or plain text."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    code = ""
    if isinstance(body, dict):
        code = str(body.get("error_code") or "")
        parts = [body.get(key) for key in ("message", "error", "error_description", "title", "detail")]
        message = " ".join(str(part) for part in parts if part) or str(body)
    else:
        message = str(body or "")
    if len(message) > SCRUBBED_PREFIX:
        # Only the first 500 characters are kept, and the scrubbing regexes
        # are quadratic on a long run without spaces (a 1 MiB HTML page took
        # half an hour): scrub a prefix, less its last word, which may be half
        # an address the regexes would no longer recognise.
        message = " ".join(message[:SCRUBBED_PREFIX].split()[:-1])
    message = PKEY.sub("<PKey>", EMAIL.sub("<email>", " ".join(message.split())))
    return code[:16], message[:500]


def to_campaign_error(
    outcome: requests.Response | requests.RequestException,
    *,
    action: str,
    not_found: type[CampaignError] = CampaignRejected,
) -> CampaignError:
    """THE mapping from an ACS answer, or a failure to get one, to what the
    caller should do. See the table in the backend's README notes:

    - timeouts (the call's deadline), connection errors, a reply over
      CAMPAIGN_MAX_REPLY_BYTES, 429 (with `Retry-After`), 502/503/504, other
      5xx, gateway 429xxx/503xxx -> `CampaignUnavailable`
    - 500 "Check your URI" (Adobe I/O: no such organization) -> `CampaignMisconfigured`
    - 500 whose message is a validation problem, other 4xx -> `CampaignRejected`
    - 404 -> `not_found` (`ProfileNotFound` on a profile)
    - 401/403 (after the auth's one renewal), a redirect (not followed: the
      API documents none; ACS_API_URL is likely wrong) -> `CampaignAuthError`
    """
    if isinstance(outcome, requests.RequestException):
        name = type(outcome).__name__
        if isinstance(outcome, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
            return CampaignAuthError(f"ACS {action}: ACS_API_URL is not a usable URL ({name})")
        if isinstance(outcome, ReplyTooLarge):
            return CampaignUnavailable(f"ACS {action}: {outcome}")
        return CampaignUnavailable(f"ACS {action}: {name}")
    response = outcome
    status = response.status_code
    code, message = read_error(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    summary = " ".join(part for part in (f"ACS {action}: HTTP {status}", code, message) if part)
    if status == 429 or code.startswith("429"):
        return CampaignThrottled(summary, retry_after=retry_after)
    if status in (401, 403) or code.startswith(("401", "403")):
        return CampaignAuthError(summary)
    if status == 404:
        return not_found(summary)
    if status == 500 and NO_ROUTE.search(message):
        return CampaignMisconfigured(
            f"{summary} (Adobe I/O routes no such URI: check ACS_ORGANIZATION, the tenant"
            " of https://mc.adobe.io/<ORGANIZATION>/campaign, and ACS_API_URL)"
        )
    if status >= 500 and VALIDATION.search(message):
        return CampaignRejected(summary)
    if status >= 500 or code.startswith("503"):
        return CampaignUnavailable(summary, retry_after=retry_after)
    if 400 <= status < 500:
        return CampaignRejected(summary)
    if 300 <= status < 400:
        return CampaignAuthError(f"ACS {action}: HTTP {status}, a redirect, not followed (check ACS_API_URL)")
    # A 2xx without a JSON object: not the documented API.
    return CampaignUnavailable(f"ACS {action}: unexpected answer, HTTP {status}")
