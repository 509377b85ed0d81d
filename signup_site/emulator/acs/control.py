"""The ACS emulator's controls, at /emulator/acs/_control/<name>: the control
API every emulator serves (../control.py: `reset`, `knobs`, `faults`, `log`,
`state`, `expire`), with faults matched by `method` and `path`, the knob
`event_ids`, and `services` to add services to the emulated Campaign.

`state` answers profiles, services, subscriptions (with their `serviceName`
and `email`), events, privacy requests and namespaces, deleted services and
every PKey ever issued.
"""

from typing import Any

from django.http import HttpRequest

from ..control import common_endpoints, control_view
from ..control_input import parse_services
from .state import STORE


def add_services(request: HttpRequest, data: Any) -> dict[str, Any]:
    added = [STORE.add_service(name, label)["name"] for name, label in parse_services(data)]
    return {"added": added}


ENDPOINTS = common_endpoints("acs", STORE.controls, reset=STORE.reset, state=STORE.snapshot)
ENDPOINTS["services"] = {"POST": add_services}

control = control_view(ENDPOINTS)
