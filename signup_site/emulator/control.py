"""One control API for the emulated IMS, ACS and v8, for tests and development.

Each emulator serves it under `/emulator/<ims|acs|v8>/_control/<name>`, JSON
in and out, and answers the same request the same way:

- `POST reset`: empty data, knobs back to their defaults, no faults, its
  journal entries gone, and every call still waiting out a latency or delay
  answered 503 without touching anything (../pause.py).
- `GET|POST knobs`: set the knobs a POST names (below); answers every knob.
- `GET|POST|DELETE faults`: a POST adds a rule or a list of rules (below), a
  DELETE clears them; answers `{"faults": [the rules still pending]}`.
- `GET|DELETE log` (`?service=acs&service=ims`; default: its own entries):
  what reached the emulators (../journal.py), `{"entries": [...]}`.
- `GET state`: the emulator's data, and `paused`: how many calls are waiting
  out a latency or a delay right now.
- `POST expire` `{"tokens": true, "sessions": true}` (both by default): every
  IMS token, and on v8 every logon session, stops working; answers
  `{"tokens": n, "sessions": n}`.
- acs and v8: `POST services` `{"name", "label"}`, a list of them, or
  `{"count": N, "prefix": "SVC"}`; answers `{"added": [names]}`.
- v8: `POST replicate` (the staging workflow, now) and `POST recipients`
  (rows straight into the cloud tables).

Knobs, in seconds where they are durations. Every emulator: `latency` (added
before each call), `error_rate` (0..1: the share of calls answered 503 at
random), `throttle` `{"times": N, "retry_after": s}` (the next N calls are
answered 429 with that `Retry-After`), `rate_limit` `{"calls": N, "seconds":
W, "retry_after": s}` (null: none; a call beyond N in the last W seconds is
answered 429 with `Retry-After: s`, as Campaign's per-licence limit is, and
does not count). Its own: acs `event_ids` (the
transactional event ids that exist; null: any `EVT...`); v8
`session_lifetime` and `replicate_after` (apply staging by itself this long
after the last replication; 0: only on `replicate`); ims `token_lifetime`.
A POST changes the knobs it names (all or none), `null` puts one back to its
default (its `EMULATOR_*` setting, or off), and `reset` puts them all back.

Fault rules: the next `times` (default 1) calls that match get this answer
instead of the API's. Matched on acs by `method` and `path` (a substring of
the path under /emulator/acs), on v8 by `action` (the SOAPAction), on ims not
at all (every token request); a field left out matches anything. Then the
same fields everywhere: `status` (default 503), `body` (JSON under a JSON
content type, else text), `content_type` (default: the API's own),
`retry_after` (a `Retry-After` header), `delay` (seconds to wait first: an
answer that comes too late); v8 adds `fault` and `message`, a SOAP fault with
that code (with HTTP 200 unless `status` says otherwise). Rules are tried
first, then the throttle, the rate limit, then the error rate.

A bad body (not JSON, an unknown knob or field, a value out of range) is a 400
`{"error": ...}`; an unknown control a 404; a method a control does not take
a 405. Shared by the emulators alone: nothing here comes from
`signup_site.campaign`.
"""

import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .control_input import (
    BadControl,
    an_object,
    header_text,
    objects_in,
    only_fields,
    retry_after_header,
    seconds,
    share,
    text,
    whole,
)
from .gate import emulator_view
from .ims.tokens import TOKENS
from .journal import JOURNAL
from .limits import RateLimit, Throttle, parse_rate_limit, parse_throttle
from .pause import Pauses

FAULT_FIELDS = ("status", "body", "content_type", "retry_after", "times", "delay")
SOAP_FAULT_FIELDS = ("fault", "message")


# --- knobs and faults ---------------------------------------------------------------


def _off() -> Any:
    return 0.0


@dataclass
class Knob:
    """One knob: the value set over HTTP, else its default (read when used, so
    a setting is never read at import time)."""

    parse: Callable[[Any, str], Any]
    default: Callable[[], Any] = _off
    value: Any = None  # None: the default

    def current(self) -> Any:
        return self.value if self.value is not None else self.default()


@dataclass
class Fault:
    """An injected answer for the next `times` calls that match (see the module docstring)."""

    match: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # None: the emulator's default
    body: Any = None
    content_type: str | None = None  # None: the API's own
    retry_after: str | None = None
    times: int = 1
    delay: float = 0.0
    fault: str = ""  # v8: a SOAP fault code
    message: str = ""  # v8: its faultstring

    def matches(self, call: Mapping[str, str]) -> bool:
        """Every match field equals the call's; `path` is a substring of it."""
        return all(
            value in call.get(name, "") if name == "path" else value == call.get(name)
            for name, value in self.match.items()
        )

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            **self.match,
            "status": self.status,
            "body": self.body,
            "content_type": self.content_type,
            "retry_after": self.retry_after,
            "times": self.times,
            "delay": self.delay,
        }
        if self.fault or self.message:
            shown |= {"fault": self.fault, "message": self.message}
        return shown


def parse_fault(item: Any, match: tuple[str, ...], extra: tuple[str, ...] = ()) -> Fault:
    rule = an_object(item, "a fault")
    only_fields(rule, (*match, *FAULT_FIELDS, *extra), "fault field")
    fault = Fault(match={name: text(rule[name], name) for name in match if rule.get(name) not in (None, "")})
    if rule.get("status") is not None:
        fault.status = whole(rule["status"], "status", 100, 599)
    fault.body = rule.get("body")
    if rule.get("content_type") is not None:
        fault.content_type = header_text(rule["content_type"], "content_type")
    if rule.get("retry_after") is not None:
        fault.retry_after = retry_after_header(rule["retry_after"])
    if "times" in rule:
        fault.times = whole(rule["times"], "times", minimum=1)
    if "delay" in rule:
        fault.delay = seconds(rule["delay"], "delay")
    for name in extra:
        if rule.get(name) is not None:
            setattr(fault, name, text(rule[name], name))
    return fault


class Controls:
    """One emulator's knobs and injected faults, and the pauses a reset ends.

    `throttled(retry_after)` and `unavailable()` say how this API answers a
    throttled call and a random outage, as faults the emulator renders like
    any other.
    """

    def __init__(
        self,
        *,
        latency: Callable[[], float] = _off,
        match: tuple[str, ...],
        throttled: Callable[[str], Fault],
        unavailable: Callable[[], Fault],
        knobs: Mapping[str, Knob] | None = None,
        fault_fields: tuple[str, ...] = (),
    ) -> None:
        self.lock = threading.Lock()
        self.pauses = Pauses()
        self.random = random.Random(0)
        self.match, self.fault_fields = match, fault_fields
        self._throttled, self._unavailable = throttled, unavailable
        self.knobs = {"latency": Knob(seconds, latency), "error_rate": Knob(share), **(knobs or {})}
        self.throttle = Throttle()
        self.rate_limit: RateLimit | None = None
        self.faults: list[Fault] = []

    def reset(self) -> None:
        """End every pause in progress; knobs back to their defaults; no faults."""
        self.pauses.interrupt()
        with self.lock:
            for knob in self.knobs.values():
                knob.value = None
            self.throttle, self.rate_limit = Throttle(), None
            self.faults = []

    def value(self, name: str) -> Any:
        with self.lock:
            return self.knobs[name].current()

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            shown = {name: knob.current() for name, knob in self.knobs.items()}
            shown["throttle"] = {"times": self.throttle.times, "retry_after": self.throttle.retry_after}
            limit = self.rate_limit
            shown["rate_limit"] = limit and {
                n: getattr(limit, n) for n in ("calls", "seconds", "retry_after")
            }
        common = ("latency", "error_rate", "throttle", "rate_limit")
        return {name: shown[name] for name in (*common, *(n for n in shown if n not in common))}

    def update(self, data: Any) -> None:
        """Set the knobs `data` names: all of them, or none when one is bad."""
        wanted = an_object(data, "knobs")
        only_fields(wanted, (*self.knobs, "throttle", "rate_limit"), "knob")
        throttle = parse_throttle(wanted["throttle"]) if "throttle" in wanted else None
        limit = parse_rate_limit(wanted.get("rate_limit"))
        values = {
            name: None if value is None else self.knobs[name].parse(value, name)
            for name, value in wanted.items()
            if name not in ("throttle", "rate_limit")
        }
        with self.lock:
            for name, value in values.items():
                self.knobs[name].value = value
            if throttle is not None:
                self.throttle = throttle
            if "rate_limit" in wanted:
                self.rate_limit = limit

    def add_faults(self, data: Any) -> None:
        added = [parse_fault(item, self.match, self.fault_fields) for item in objects_in(data, "a fault")]
        with self.lock:
            self.faults.extend(added)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = []

    def faults_json(self) -> list[dict[str, Any]]:
        with self.lock:
            return [fault.as_json() for fault in self.faults]

    def take(self, **call: str) -> Fault | None:
        """The injected answer for this call, if any: a matching rule (counted
        down), else a throttled answer, else a random outage."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(call):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            if self.throttle.times > 0:
                self.throttle.times -= 1
                return self._throttled(str(self.throttle.retry_after))
            if self.rate_limit and self.rate_limit.refuses():
                return self._throttled(str(self.rate_limit.retry_after))
            rate = self.knobs["error_rate"].current()
            if rate and self.random.random() < rate:
                return self._unavailable()
        return None

    def wait(self, pause: float) -> bool:
        """Wait `pause` seconds (the latency, a fault's delay); False when a
        reset came first: the call must then answer 503 and touch nothing."""
        return pause <= 0 or self.pauses.pause(pause)


def injected_response(status: int, content_type: str, body: Any, retry_after: str | None) -> HttpResponse:
    """An injected answer: the body as JSON under a JSON content type, else as text."""
    if content_type.startswith("application/json"):
        content = json.dumps(body)
    else:
        content = "" if body is None else str(body)
    response = HttpResponse(content, status=status, content_type=content_type)
    if retry_after is not None:
        response["Retry-After"] = retry_after
    return response


# --- the view ------------------------------------------------------------------------------

Handler = Callable[[HttpRequest, Any], dict[str, Any]]
Endpoints = dict[str, dict[str, Handler]]


def common_endpoints(
    service: str,
    controls: Controls,
    *,
    reset: Callable[[], None],
    state: Callable[[], dict[str, Any]],
    expire_sessions: Callable[[], int] | None = None,
) -> Endpoints:
    """The controls every emulator serves; `service` names its journal entries."""

    def reset_all(request: HttpRequest, data: Any) -> dict[str, Any]:
        controls.reset()  # first: a call pausing now must not act on the fresh state
        reset()
        JOURNAL.clear(service)
        return {"reset": True}

    def knobs(request: HttpRequest, data: Any) -> dict[str, Any]:
        if request.method == "POST":
            controls.update(data)
        return controls.as_json()

    def faults(request: HttpRequest, data: Any) -> dict[str, Any]:
        if request.method == "POST":
            controls.add_faults(data)
        elif request.method == "DELETE":
            controls.clear_faults()
        return {"faults": controls.faults_json()}

    def log(request: HttpRequest, data: Any) -> dict[str, Any]:
        services = tuple(request.GET.getlist("service")) or (service,)
        if request.method == "DELETE":
            JOURNAL.clear(*services)
            return {"entries": []}
        return {"entries": JOURNAL.entries(*services)}

    def show_state(request: HttpRequest, data: Any) -> dict[str, Any]:
        return {**state(), "paused": controls.pauses.waiting}

    def expire(request: HttpRequest, data: Any) -> dict[str, Any]:
        flags = an_object(data, "expire")
        only_fields(flags, ("tokens", "sessions"), "expire field")
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise BadControl(f"{name} must be true or false, not {value!r}")
        expired = {"tokens": 0, "sessions": 0}
        if flags.get("tokens", True):
            expired["tokens"] = TOKENS.expire_all()
        if flags.get("sessions", True) and expire_sessions is not None:
            expired["sessions"] = expire_sessions()
        return expired

    return {
        "reset": {"POST": reset_all},
        "knobs": {"GET": knobs, "POST": knobs},
        "faults": {"GET": faults, "POST": faults, "DELETE": faults},
        "log": {"GET": log, "DELETE": log},
        "state": {"GET": show_state},
        "expire": {"POST": expire},
    }


def control_view(endpoints: Endpoints) -> Callable[..., HttpResponse]:
    """The `_control/<name>` view over `endpoints` (name -> HTTP method -> handler)."""

    @csrf_exempt
    @emulator_view
    def control(request: HttpRequest, name: str) -> HttpResponse:
        handlers = endpoints.get(name)
        if handlers is None:
            known = ", ".join(endpoints)
            return JsonResponse({"error": f"unknown control {name!r} (known: {known})"}, status=404)
        handler = handlers.get(request.method or "")
        if handler is None:
            allowed = ", ".join(handlers)
            response = JsonResponse({"error": f"{name} takes {allowed}"}, status=405)
            response["Allow"] = allowed
            return response
        try:
            data = json.loads(request.body or b"{}") if request.method == "POST" else {}
            return JsonResponse(handler(request, data))
        except ValueError as exc:  # BadControl, and a body that is not JSON
            return JsonResponse({"error": f"bad {name}: {exc}"}, status=400)
        except RecursionError:  # JSON nested deeper than Python's parser goes
            return JsonResponse({"error": f"bad {name}: nested too deeply"}, status=400)

    return control
