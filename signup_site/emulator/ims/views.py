"""The emulated IMS endpoints: the token endpoint and its controls, at
/emulator/ims/_control/<name>: the control API every emulator serves
(../control.py), with faults that match every token request and the knob
`token_lifetime` (the `expires_in` of new tokens). `state` answers how many
tokens were issued and how many are still valid; `expire` ends them all."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..control import Controls, Fault, Knob, common_endpoints, control_view, injected_response
from ..control_input import whole
from ..gate import emulator_view
from ..journal import JOURNAL
from .tokens import TOKENS, configured_clients, default_lifetime


def _error(status: int, code: str, description: str) -> JsonResponse:
    return JsonResponse({"error": code, "error_description": description}, status=status)


def _throttled(retry_after: str) -> Fault:
    body = {"error": "too_many_requests", "error_description": "Too many requests"}
    return Fault(status=429, body=body, retry_after=retry_after)


def _unavailable() -> Fault:
    return Fault(status=503, body={"error": "server_error", "error_description": "Service Unavailable"})


def _lifetime(value: Any, name: str) -> int:
    return whole(value, name)


CONTROLS = Controls(
    match=(),
    throttled=_throttled,
    unavailable=_unavailable,
    knobs={"token_lifetime": Knob(_lifetime, default_lifetime)},
)


def _injected(fault: Fault) -> HttpResponse:
    status = fault.status or 503
    content_type = fault.content_type or "application/json"
    body = fault.body
    if body is None and content_type.startswith("application/json"):
        body = {"error": "server_error", "error_description": f"Injected HTTP {status}"}
    return injected_response(status, content_type, body, fault.retry_after)


def _answer(request: HttpRequest) -> HttpResponse:
    reset = _error(503, "server_error", "The emulator was reset while this call waited")
    if not CONTROLS.wait(CONTROLS.value("latency")):
        return reset
    fault = CONTROLS.take()
    if fault is not None:
        return _injected(fault) if CONTROLS.wait(fault.delay) else reset
    form = request.POST
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scopes = tuple(scope for scope in form.get("scope", "").split(",") if scope)
    if form.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    if not client_id or configured_clients().get(client_id) != secret:
        return _error(401, "invalid_client", "invalid client_id or client_secret")
    access_token, lifetime = TOKENS.issue(client_id, scopes, CONTROLS.value("token_lifetime"))
    return JsonResponse({"access_token": access_token, "token_type": "bearer", "expires_in": lifetime})


@csrf_exempt
@emulator_view
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """`POST /ims/token/v3`, grant_type=client_credentials (form-encoded)."""
    response = _answer(request)
    # Never keep the secret, even in the emulator's log.
    form = request.POST
    logged = {
        "grant_type": form.get("grant_type"),
        "client_id": form.get("client_id", ""),
        "scope": form.get("scope", ""),
    }
    JOURNAL.record("ims", request, response.status_code, "/ims/token/v3", body=logged)
    return response


control = control_view(common_endpoints("ims", CONTROLS, reset=TOKENS.reset, state=TOKENS.summary))
