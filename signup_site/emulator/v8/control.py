"""The v8 emulator's controls, at /emulator/v8/_control/<name>: the control
API every emulator serves (../control.py: `reset`, `knobs`, `faults`, `log`,
`state`, `expire`), with faults matched by SOAP `action` and able to answer a
SOAP `fault`, the knobs `session_lifetime` and `replicate_after`, and its own:

- `POST replicate`: run the staging workflow now.
- `POST services`: add services.
- `POST recipients`: a recipient's attributes, or a list: straight into the
  cloud tables, as if replicated long ago.

`state` runs the workflow first when `replicate_after` says it is due, then
answers recipients, subscriptions (`[email, service]`), services, staging,
other replicated tables, events, privacy requests (./privacy.py), the
number of sessions and of replications.
`expire` ends sessions as well as IMS tokens.
"""

from typing import Any

from django.http import HttpRequest

from ..control import common_endpoints, control_view
from ..control_input import parse_rows, parse_services
from .store import RECIPIENT_FIELDS, STORE

WRITABLE = tuple(sorted(RECIPIENT_FIELDS - {"id"}))


def replicate(request: HttpRequest, data: Any) -> dict[str, Any]:
    return STORE.replicate()


def add_services(request: HttpRequest, data: Any) -> dict[str, Any]:
    added = parse_services(data)
    for name, label in added:
        STORE.add_service(name, label)
    return {"added": [name for name, _label in added]}


def add_recipients(request: HttpRequest, data: Any) -> dict[str, Any]:
    return {"added": [STORE.add_recipient(row) for row in parse_rows(data, WRITABLE)]}


def state() -> dict[str, Any]:
    STORE.maybe_replicate()
    return STORE.snapshot()


ENDPOINTS = common_endpoints(
    "v8", STORE.controls, reset=STORE.reset, state=state, expire_sessions=STORE.expire_sessions
)
ENDPOINTS["replicate"] = {"POST": replicate}
ENDPOINTS["services"] = {"POST": add_services}
ENDPOINTS["recipients"] = {"POST": add_recipients}

control = control_view(ENDPOINTS)
