"""The emulated IMS endpoints: the token endpoint and its controls."""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..gate import emulator_view
from ..journal import JOURNAL
from .tokens import TOKENS, configured_clients


@csrf_exempt
@emulator_view
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """`POST /ims/token/v3`, grant_type=client_credentials (form-encoded)."""
    form = request.POST
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scopes = tuple(scope for scope in form.get("scope", "").split(",") if scope)
    if form.get("grant_type") != "client_credentials":
        response = JsonResponse(
            {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"},
            status=400,
        )
    elif not client_id or configured_clients().get(client_id) != secret:
        response = JsonResponse(
            {"error": "invalid_client", "error_description": "invalid client_id or client_secret"}, status=401
        )
    else:
        access_token, lifetime = TOKENS.issue(client_id, scopes)
        response = JsonResponse(
            {"access_token": access_token, "token_type": "bearer", "expires_in": lifetime}
        )
    # Never keep the secret, even in the emulator's log.
    logged = {"grant_type": form.get("grant_type"), "client_id": client_id, "scope": form.get("scope", "")}
    JOURNAL.record("ims", request, response.status_code, "/ims/token/v3", body=logged)
    return response


@csrf_exempt
@emulator_view
@require_http_methods(["GET", "POST"])
def control(request: HttpRequest, action: str) -> HttpResponse:
    """`_control/state` (GET), `_control/reset`, `_control/expire` and
    `_control/knobs` `{"token_seconds": N}` (POST)."""
    if request.method == "POST":
        if action == "reset":
            TOKENS.reset()
            JOURNAL.clear("ims")
        elif action == "expire":
            TOKENS.expire_all()
        elif action == "knobs":
            try:
                knobs = json.loads(request.body or b"{}")
                TOKENS.lifetime = None if knobs.get("token_seconds") is None else int(knobs["token_seconds"])
            except (ValueError, TypeError, AttributeError):
                return JsonResponse({"error": 'send {"token_seconds": N}'}, status=400)
        elif action != "state":
            return JsonResponse({"error": f"unknown control {action!r}"}, status=404)
    elif action != "state":
        return JsonResponse({"error": f"unknown control {action!r}"}, status=404)
    return JsonResponse(TOKENS.summary())
