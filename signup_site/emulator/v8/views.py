"""The emulated v8 SOAP router.

`POST /emulator/v8/nl/jsp/soaprouter.jsp`: the method comes from the
`SOAPAction` header (`<schema>#<Method>`), which must match the body's method
element. Authentication, as on Campaign v8 (campaign-api.md §C): a bearer
token issued by the emulated IMS (`/emulator/ims/token/v3`; an expired one
gets fault SOP-330007 with XSV-350114 in its detail, as in acc-js-sdk issue
#108; an unknown one HTTP 401), or a session from
`xtk:session#Logon` in the `__sessiontoken` cookie (or the `sessiontoken`
parameter) with its `X-Security-Token` (else fault XSV-350008). Faults come
with HTTP 200.

Before a call runs, the controls (./control.py) may add latency, or answer it
with an injected fault matched by its `action`, a throttled 429 with
`Retry-After`, or a random 503.
"""

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..control import Fault as Injected
from ..control import injected_response
from ..gate import emulator_view
from ..ims import token_status
from ..journal import JOURNAL
from . import methods
from .store import STORE
from .xml import BadRequest, Call, Fault, fault, parse_call, reading_parameters

ROUTER_PATH = "/nl/jsp/soaprouter.jsp"
FAULT_CODE = re.compile(rb"<faultstring[^>]*>([A-Z]{3}-\d{6})")
FAULT_TEXT = re.compile(rb"<(?:faultstring|detail)[^>]*>([^<]*)<")
CODE = re.compile(rb"[A-Z]{3}-\d{6}")
XML = "text/xml; charset=utf-8"
# The detail Campaign gives an expired IMS token (acc-js-sdk issue #108).
IMS_REFUSAL = "XSV-350114 Unknown error during '/ims/profile/v1' IMS call, HTTP response code is 401"


def _answer(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=XML)


def _interrupted() -> HttpResponse:
    """A call that was still waiting out a latency or a delay when the emulator was reset."""
    return _answer(fault("SOP-330011", "The emulator was reset while this call waited"), 503)


def _injected(rule: Injected) -> HttpResponse:
    """A rule's `body` as given; else its SOAP `fault` (HTTP 200, as Campaign
    sends faults); else a bare HTTP error, as a gateway in front would."""
    if rule.body is not None:
        status, content_type, body = rule.status or 503, rule.content_type or XML, rule.body
    elif rule.fault:
        body = fault(rule.fault, rule.message or "Injected fault.").decode()
        status, content_type = rule.status or 200, rule.content_type or XML
    else:
        status = rule.status or 503
        content_type, body = rule.content_type or "text/plain", f"Injected HTTP {status}"
    return injected_response(status, content_type, body, rule.retry_after)


def _authenticate(request: HttpRequest, call: Call) -> tuple[str, str]:
    """("bearer" or "session", session token); raises Fault, or HTTP 401 via PermissionError."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        status = token_status(authorization)
        if status == "ok":
            return "bearer", ""
        if status == "expired":
            # As Campaign answers it (acc-js-sdk issue #108): the IMS refusal
            # is the detail of a "bad parameters" fault, not its code.
            raise Fault("SOP-330007", reading_parameters(call), IMS_REFUSAL)
        raise PermissionError("invalid bearer token")
    token = request.COOKIES.get("__sessiontoken") or call.text(0)
    session = STORE.session(token) if token else None
    if session is None:
        raise Fault("XSV-350008", "Session has expired or is invalid. Please reconnect.")
    if request.headers.get("X-Security-Token", "") != session.security:
        raise Fault("XSV-350008", "Session has expired or is invalid (security token missing or wrong).")
    return "session", token


def _dispatch(request: HttpRequest, call: Call) -> tuple[HttpResponse, str]:
    if call.action not in methods.KNOWN:
        return _answer(
            Fault("SOP-330006", f"Method '{call.method}' of service '{call.schema}' is unknown.").body()
        ), ""
    auth = "none"
    try:
        if call.action != "xtk:session#Logon":
            auth, token = _authenticate(request, call)
            if call.action == "xtk:session#Logoff":
                return _answer(methods.logoff(call, token)), auth
        return _answer(methods.METHODS[call.action](call)), auth
    except Fault as exc:
        return _answer(exc.body()), auth
    except PermissionError:
        # An unknown token is refused before Campaign, like ACS's gateway does.
        return HttpResponse("invalid bearer token", status=401, content_type="text/plain"), "bearer"


@csrf_exempt
@emulator_view
@require_POST
def router(request: HttpRequest) -> HttpResponse:
    """`POST /nl/jsp/soaprouter.jsp`: one SOAP call."""
    STORE.maybe_replicate()
    controls = STORE.controls
    if not controls.wait(controls.value("latency")):
        return _interrupted()
    action = (request.headers.get("SOAPAction") or request.GET.get("soapAction", "")).strip('"')
    extra: dict[str, Any] = {"action": action}
    try:
        if "xml" not in (request.content_type or ""):
            raise BadRequest(f"Content-Type must be text/xml, not {request.content_type!r}")
        call = parse_call(request.body)
        extra["params"] = call.logged()
        if not action:
            raise BadRequest("no SOAPAction header")
        if action != call.action:
            raise BadRequest(f"SOAPAction {action!r} does not match the body's {call.action!r}")
    except BadRequest as exc:
        response = _answer(fault("SOP-330007", str(exc)), 400)
    else:
        rule = controls.take(action=call.action)
        if rule is not None:
            extra["auth"] = "injected"
            response = _injected(rule) if controls.wait(rule.delay) else _interrupted()
        else:
            response, extra["auth"] = _dispatch(request, call)
    extra["fault"], extra["fault_codes"] = _fault_codes(response)
    extra["cookie"] = bool(request.COOKIES.get("__sessiontoken"))
    extra["security_token"] = bool(request.headers.get("X-Security-Token"))
    extra["content_type"] = request.content_type
    extra["wire"] = _wire(request)
    JOURNAL.record("v8", request, response.status_code, ROUTER_PATH, **extra)
    return response


def _fault_codes(response: HttpResponse) -> tuple[str, list[str]]:
    """The code the faultstring starts with, and every code in the faultstring and detail."""
    start = FAULT_CODE.search(response.content)
    codes = [code.decode() for text in FAULT_TEXT.findall(response.content) for code in CODE.findall(text)]
    return (start.group(1).decode() if start else ""), codes


def _wire(request: HttpRequest) -> dict[str, Any]:
    """The request as it came, for comparing clients: the envelope, whole, and
    the headers that carry the call and its credentials (credentials masked)."""
    headers = {
        name: request.headers.get(name)
        for name in ("SOAPAction", "Content-Type", "User-Agent")
        if request.headers.get(name) is not None
    }
    for name in ("Authorization", "X-Security-Token", "X-Session-Token"):
        value = request.headers.get(name)
        if value is not None:
            scheme, _, secret = value.partition(" ") if name == "Authorization" else ("", "", value)
            headers[name] = f"{scheme} <{'set' if secret else 'empty'}>".strip()
    return {
        "envelope": request.body.decode("utf-8", "replace"),
        "headers": headers,
        "header_names": sorted(request.headers),
        "cookies": sorted(request.COOKIES),
        "query": request.META.get("QUERY_STRING", ""),
    }
