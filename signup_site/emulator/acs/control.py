"""Control endpoints of the ACS emulator, for tests and for development.

Under /emulator/acs/_control/ (no gateway, JSON in and out):

- `POST reset`: empty Campaign (the seed services only), knobs from settings,
  and its journal entries cleared.
- `GET|POST knobs`: `{"latency": s, "error_rate": 0..1, "throttle": {"times": N,
  "retry_after": s}, "event_ids": ["EVT..."] | null}`.
- `POST faults`: a fault or a list: `{"status": 500, "method": "PATCH",
  "path": "/profile/", "body": {...} | "text", "content_type": "text/plain",
  "times": 1, "delay": s, "retry_after": "30"}`; `DELETE faults` clears them.
- `GET log` (`?service=acs`): what reached the emulators, IMS included, in
  order; `DELETE log` clears it.
- `GET state`: profiles, services, subscriptions, events, deleted services.
- `POST services`: `{"name": ..., "label": ...}` or `{"count": N, "prefix": "SVC"}`.

Token lifetime and expiry live with the emulated IMS: /emulator/ims/_control/.
"""

import json
from dataclasses import asdict, fields
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..gate import emulator_view
from ..journal import JOURNAL
from .state import STORE, Fault


def _body(request: HttpRequest) -> Any:
    return json.loads(request.body or b"{}")


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def _knobs() -> dict[str, Any]:
    knobs = STORE.knobs
    return {
        "latency": knobs.latency,
        "error_rate": knobs.error_rate,
        "throttle": {"times": knobs.throttle_times, "retry_after": knobs.retry_after},
        "faults": [asdict(fault) for fault in knobs.faults],
        "event_ids": sorted(STORE.event_ids) if STORE.event_ids is not None else None,
    }


@csrf_exempt
@emulator_view
@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    STORE.reset()
    JOURNAL.clear("acs")
    return JsonResponse({"reset": True})


@csrf_exempt
@emulator_view
@require_http_methods(["GET", "POST"])
def knobs(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            data = _body(request)
            with STORE.lock:
                if "latency" in data:
                    STORE.knobs.latency = max(float(data["latency"]), 0.0)
                if "error_rate" in data:
                    STORE.knobs.error_rate = min(max(float(data["error_rate"]), 0.0), 1.0)
                if "throttle" in data:
                    STORE.knobs.throttle_times = int(data["throttle"].get("times", 1))
                    STORE.knobs.retry_after = int(data["throttle"].get("retry_after", 30))
                if "event_ids" in data:
                    ids = data["event_ids"]
                    STORE.event_ids = None if ids is None else {str(event_id) for event_id in ids}
        except (ValueError, TypeError, AttributeError) as exc:
            return _bad(f"bad knobs: {exc}")
    return JsonResponse(_knobs())


@csrf_exempt
@emulator_view
@require_http_methods(["POST", "DELETE"])
def faults(request: HttpRequest) -> HttpResponse:
    if request.method == "DELETE":
        with STORE.lock:
            STORE.knobs.faults = []
        return JsonResponse(_knobs())
    try:
        data = _body(request)
        names = {field.name for field in fields(Fault)}
        items = data if isinstance(data, list) else [data]
        new = [Fault(**{key: value for key, value in item.items() if key in names}) for item in items]
    except (ValueError, TypeError, AttributeError) as exc:
        return _bad(f"bad fault: {exc}")
    with STORE.lock:
        STORE.knobs.faults.extend(new)
    return JsonResponse(_knobs())


@csrf_exempt
@emulator_view
@require_http_methods(["GET", "DELETE"])
def log(request: HttpRequest) -> HttpResponse:
    services = tuple(request.GET.getlist("service"))
    if request.method == "DELETE":
        JOURNAL.clear(*services)
        return JsonResponse({"entries": []})
    return JsonResponse({"entries": JOURNAL.entries(*(services or ("acs", "ims")))})


@emulator_view
@require_http_methods(["GET"])
def state(request: HttpRequest) -> HttpResponse:
    return JsonResponse(STORE.snapshot())


@csrf_exempt
@emulator_view
@require_POST
def services(request: HttpRequest) -> HttpResponse:
    try:
        data = _body(request)
        if "count" in data:
            prefix = str(data.get("prefix", "SVC"))
            added = [
                STORE.add_service(f"{prefix}{n}", f"{prefix} {n}") for n in range(1, int(data["count"]) + 1)
            ]
        else:
            added = [STORE.add_service(str(data["name"]), str(data.get("label", data["name"])))]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return _bad(f"bad service: {exc}")
    return JsonResponse({"added": [service["name"] for service in added]}, status=201)
