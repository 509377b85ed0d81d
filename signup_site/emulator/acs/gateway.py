"""The emulated Adobe I/O gateway in front of the emulated Campaign Standard.

Every API view is wrapped by `acs_api`, which, in order: adds the latency
knob; checks the API key (`403000` missing, `403003` unknown or not the
token's client) and the bearer token (`403010` missing, `401013` bad or
expired); answers an injected fault, a throttled `429050` with `Retry-After`
or a random `503000` (the controls of ../control.py); checks the
organization (an unknown one is Adobe I/O's 500 `{"code": 500, "message":
"Oops. ... Check your URI and try again."}`); runs the view, turning
Campaign's validation refusals into 500s; and logs the exchange in the
journal, with the request's Content-Type. Shapes from Adobe's "Campaign
Standard API" guide ("Error management", "API troubleshooting") and the spec
(../shared/spec/campaign-api.md §B).
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..control import Fault, injected_response
from ..gate import emulator_view
from ..ims.tokens import TOKENS, configured_clients, token_status
from ..journal import JOURNAL
from .state import STORE, Conflict, Invalid, configured

MOUNT = "/emulator/acs"
# Campaign's generic prefix on errors; the detail follows it.
RST_PREFIX = (
    "RST-360011 An error has occurred - please repeat the operation later or contact your administrator."
)

# Adobe I/O's answer to a URI it cannot route, an unknown organization's
# included ("API troubleshooting": check that the organization id you chose
# in Adobe I/O is the one in your URL).
NO_ROUTE = "Oops. Something went wrong. Check your URI and try again."

View = Callable[..., HttpResponse]


class NotFound(Exception):
    """Answered as a 404 with Campaign's JSON."""


class BadRequest(Exception):
    """Answered as a 400."""


def gateway_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error_code": code, "message": message}, status=status)


def campaign_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": status, "message": message}, status=status)


def fault_response(fault: Fault) -> HttpResponse:
    """An injected answer; by default a 503 with Campaign's JSON."""
    status = fault.status or 503
    content_type = fault.content_type or "application/json"
    body = fault.body
    if body is None and content_type.startswith("application/json"):
        body = {"code": status}
    return injected_response(status, content_type, body, fault.retry_after)


def _gateway_refusal(request: HttpRequest) -> HttpResponse | None:
    api_key = request.headers.get("X-Api-Key", "")
    if not api_key:
        return gateway_error(403, "403000", "Api Key is required")
    if api_key not in configured_clients():
        return gateway_error(403, "403003", "Api Key is invalid")
    authorization = request.headers.get("Authorization")
    status = token_status(authorization)
    if status == "missing":
        return gateway_error(403, "403010", "Oauth token is missing.")
    if status != "ok":
        return gateway_error(401, "401013", "Oauth token is not valid")
    if TOKENS.client_of((authorization or "")[7:].strip()) != api_key:
        return gateway_error(403, "403003", "Api Key is invalid")
    return None


def read_json(request: HttpRequest, encoding: str | None = None) -> dict[str, Any]:
    """The request's JSON object body (in `encoding`; by default, as JSON
    itself says: UTF-8, -16 or -32)."""
    raw = request.body or b"null"
    try:
        data = json.loads(raw.decode(encoding) if encoding else raw)
    except ValueError:
        raise BadRequest("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    return data


def _answer(request: HttpRequest, view: View, org: str, kwargs: dict[str, Any]) -> HttpResponse:
    controls = STORE.controls
    if not controls.wait(controls.value("latency")):
        return campaign_error(503, "The emulator was reset while this call waited")
    refusal = _gateway_refusal(request)
    if refusal is not None:
        return refusal
    fault = controls.take(method=request.method or "GET", path=request.path.removeprefix(MOUNT))
    if fault is not None:
        if not controls.wait(fault.delay):
            return campaign_error(503, "The emulator was reset while this call waited")
        return fault_response(fault)
    if org != configured("ORGANIZATION", "acme-mkt-stage1"):
        # Adobe I/O routes on the organization: an unknown one (or none) gets
        # its generic answer ("API troubleshooting"), not Campaign's 404.
        return campaign_error(500, NO_ROUTE)
    try:
        return view(request, org, **kwargs)
    except Conflict as exc:
        return campaign_error(500, f"{RST_PREFIX} {exc}")
    except Invalid as exc:
        return campaign_error(500, f"{RST_PREFIX} {exc}")
    except NotFound as exc:
        return campaign_error(404, str(exc) or "Resource not found")
    except BadRequest as exc:
        return campaign_error(400, str(exc))


def acs_api(*methods: str) -> Callable[[View], View]:
    """Wrap an emulated API view: gate, gateway, knobs, journal."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @emulator_view
        @wraps(view)
        def wrapped(request: HttpRequest, org: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response: HttpResponse = campaign_error(405, f"Method {request.method} not allowed")
            else:
                response = _answer(request, view, org, kwargs)
            JOURNAL.record(
                "acs",
                request,
                response.status_code,
                request.path.removeprefix(MOUNT),
                # Of a body only: the WSGI server says text/plain when a
                # request has no Content-Type, which a GET would then show.
                content_type=request.headers.get("Content-Type", "") if request.body else "",
            )
            return response

        return wrapped

    return decorate


def absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(quote(path, safe="/@:~-_.!$&'()*+,;=%"))


def paginate(
    request: HttpRequest, items: list[dict[str, Any]], render: Callable[[dict[str, Any]], dict[str, Any]]
) -> JsonResponse:
    """A collection page: `_lineCount` items (25 by default) from `_lineStart`,
    with a `next` link while more remain."""
    if request.GET.get("_count") == "true":
        return JsonResponse({"count": len(items)})
    try:
        line_count = min(max(int(request.GET.get("_lineCount", 25)), 1), 1000)
    except ValueError:
        raise BadRequest("_lineCount must be a number") from None
    start = 0
    if line_start := request.GET.get("_lineStart"):
        start = next((i for i, item in enumerate(items) if item["PKey"] == line_start), len(items))
    page = items[start : start + line_count]
    count_query = request.GET.copy()
    for key in ("_lineStart", "_lineCount"):
        count_query.pop(key, None)
    count_query["_count"] = "true"
    body: dict[str, Any] = {
        "content": [render(item) for item in page],
        "count": {"href": absolute(request, request.path) + "?" + count_query.urlencode()},
        "serverSidePagination": True,
    }
    if start + line_count < len(items):
        query = request.GET.copy()
        query["_lineCount"] = str(line_count)
        query["_lineStart"] = items[start + line_count]["PKey"]
        body["next"] = {"href": absolute(request, request.path) + "?" + query.urlencode()}
    return JsonResponse(body)
