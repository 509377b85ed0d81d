"""The emulated v8 SOAP router and its control endpoints.

`POST /emulator/v8/nl/jsp/soaprouter.jsp`: the method comes from the
`SOAPAction` header (`<schema>#<Method>`), which must match the body's method
element. Authentication, as on Campaign v8 (campaign-api.md §C): a bearer
token issued by the emulated IMS (`/emulator/ims/token/v3`; an expired one
gets fault XSV-350114, an unknown one HTTP 401), or a session from
`xtk:session#Logon` in the `__sessiontoken` cookie (or the `sessiontoken`
parameter) with its `X-Security-Token` (else fault XSV-350008). Faults come
with HTTP 200.

Controls (`/emulator/v8/_control/<action>`): GET `state`, `log`; POST `reset`,
`replicate`, `knobs` `{"latency_seconds", "session_seconds",
"replicate_after_seconds"}`, `fail` `{"method", "status", "fault", "message",
"retry_after", "body", "times"}` (a list too), `expire` `{"sessions", "tokens"}`,
`services` `{"services": [{"name", "label"}]}`, `recipients`
`{"recipients": [{...}]}` (straight into the cloud tables).
"""

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..gate import emulator_view
from ..ims import TOKENS, token_status
from ..journal import JOURNAL
from . import methods
from .store import STORE
from .xml import BadRequest, Call, Fault, fault, parse_call

ROUTER_PATH = "/nl/jsp/soaprouter.jsp"
FAULT_CODE = re.compile(rb"<faultstring[^>]*>([A-Z]{3}-\d{6})")
XML = "text/xml; charset=utf-8"


def _answer(body: bytes, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=XML)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _injected(rule: dict[str, Any]) -> HttpResponse:
    headers = {"Retry_After": str(rule["retry_after"])} if rule.get("retry_after") is not None else {}
    if rule.get("body") is not None:
        return _answer(str(rule["body"]).encode(), int(rule.get("status", 200)), **headers)
    if rule.get("fault"):
        body = fault(str(rule["fault"]), str(rule.get("message", "Injected fault.")))
        return _answer(body, int(rule.get("status", 200)), **headers)
    status = int(rule.get("status", 503))
    response = HttpResponse(f"Injected HTTP {status}", status=status, content_type="text/plain")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _authenticate(request: HttpRequest, call: Call) -> tuple[str, str]:
    """("bearer" or "session", session token); raises Fault, or HTTP 401 via PermissionError."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        status = token_status(authorization)
        if status == "ok":
            return "bearer", ""
        if status == "expired":
            raise Fault("XSV-350114", "The IMS access token has expired. Please renew it.")
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
    if STORE.latency and not STORE.pauses.pause(STORE.latency):
        return _answer(fault("SOP-330011", "The emulator was reset while this call waited"), 503)
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
        rule = STORE.take_failure(call.action)
        if rule is not None:
            response, extra["auth"] = _injected(rule), "injected"
        else:
            response, extra["auth"] = _dispatch(request, call)
    extra["fault"] = _fault_code(response)
    extra["cookie"] = bool(request.COOKIES.get("__sessiontoken"))
    extra["security_token"] = bool(request.headers.get("X-Security-Token"))
    extra["content_type"] = request.content_type
    JOURNAL.record("v8", request, response.status_code, ROUTER_PATH, **extra)
    return response


def _fault_code(response: HttpResponse) -> str:
    match = FAULT_CODE.search(response.content)
    return match.group(1).decode() if match else ""


def _json(request: HttpRequest) -> Any:
    return json.loads(request.body or b"{}")


def _optional(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


@csrf_exempt
@emulator_view
@require_http_methods(["GET", "POST"])
def control(request: HttpRequest, action: str) -> HttpResponse:
    """The knobs of the emulated instance (see the module docstring)."""
    if request.method == "GET":
        if action == "state":
            STORE.maybe_replicate()
            return JsonResponse(STORE.snapshot())
        if action == "log":
            return JsonResponse({"entries": JOURNAL.entries("v8")})
        return JsonResponse({"error": f"unknown control {action!r}"}, status=404)
    try:
        data = _json(request)
        answer = _apply_control(action, data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return JsonResponse({"error": f"bad control request: {exc}"}, status=400)
    if answer is None:
        return JsonResponse({"error": f"unknown control {action!r}"}, status=404)
    return JsonResponse(answer)


def _apply_control(action: str, data: Any) -> dict[str, Any] | None:
    if action == "reset":
        STORE.reset()
        JOURNAL.clear("v8")
        return {"reset": True}
    if action == "replicate":
        return STORE.replicate()
    if action == "knobs":
        with STORE.lock:
            if "latency_seconds" in data:
                STORE.latency_seconds = _optional(data["latency_seconds"], float)
            if "session_seconds" in data:
                STORE.session_seconds = _optional(data["session_seconds"], int)
            if "replicate_after_seconds" in data:
                STORE.replicate_after_seconds = _optional(data["replicate_after_seconds"], float)
        return STORE.snapshot()["knobs"]
    if action == "fail":
        rules = data if isinstance(data, list) else [data]
        with STORE.lock:
            STORE.failures.extend(dict(rule) for rule in rules)
        return {"failures": len(STORE.failures)}
    if action == "expire":
        sessions = STORE.expire_sessions() if data.get("sessions", True) else 0
        tokens = TOKENS.expire_all() if data.get("tokens", False) else 0
        return {"sessions": sessions, "tokens": tokens}
    if action == "services":
        with STORE.lock:
            STORE.services.clear()
            for service in data["services"]:
                STORE.add_service(str(service["name"]), str(service.get("label", "")))
        return {"services": len(STORE.services)}
    if action == "recipients":
        added = [STORE.add_recipient({k: str(v) for k, v in row.items()}) for row in data["recipients"]]
        return {"recipients": added}
    return None
