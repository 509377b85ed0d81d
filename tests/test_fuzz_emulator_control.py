"""The emulators' control API, fed any body: a 400 that says why, or the
control done, never a 500, and its answer is always JSON. Through the test
client: the control views read nothing but the request."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import Settings

from tests.fuzz_support import TEXT

EMULATORS = ("acs", "v8", "ims")
CONTROLS = ("reset", "knobs", "faults", "log", "state", "expire", "services", "replicate", "recipients", "x")
FIELDS = (
    *("latency", "error_rate", "throttle", "times", "retry_after", "event_ids", "session_lifetime"),
    *("replicate_after", "token_lifetime", "status", "body", "content_type", "delay", "method", "path"),
    *("action", "fault", "message", "tokens", "sessions", "name", "label", "count", "prefix", "email"),
)
# Numbers JSON can carry that Python reads but a float cannot hold or compare.
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from([10**400, -(10**400), 2**64, 1e308, 5e-324]),
    st.floats(allow_nan=True, allow_infinity=True),
)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | TEXT, children)
    ),
    max_leaves=10,
)
BODIES = st.one_of(
    VALUES.map(json.dumps),
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4).map(json.dumps),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
    st.binary(max_size=100),
)


def strict_json(text: str) -> Any:
    """JSON as every client reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a control's answer: not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def emulators(settings: Settings) -> Iterator[Client]:
    settings.DEBUG = True
    settings.EMULATOR_ENABLED = True
    client = Client()
    yield client
    for emulator in EMULATORS:
        client.post(f"/emulator/{emulator}/_control/reset")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    emulator=st.sampled_from(EMULATORS),
    control=st.sampled_from(CONTROLS),
    method=st.sampled_from(["POST", "POST", "POST", "GET", "DELETE"]),
    body=BODIES,
)
def test_any_control_body_is_done_or_refused_in_json(
    emulators: Client, emulator: str, control: str, method: str, body: str | bytes
) -> None:
    response = emulators.generic(
        method, f"/emulator/{emulator}/_control/{control}", body, content_type="application/json"
    )
    assert response.status_code in {200, 400, 404, 405}, response.content[:500]
    answer = strict_json(response.content.decode())
    if response.status_code != 200:
        assert answer["error"]
    # Whatever was set is still readable, as JSON, by the next client.
    strict_json(emulators.get(f"/emulator/{emulator}/_control/knobs").content.decode())
    strict_json(emulators.get(f"/emulator/{emulator}/_control/faults").content.decode())


@pytest.mark.parametrize(
    ("control", "body"),
    [
        ("faults", '{"times": 1' + "0" * 400 + "}"),  # an int no float holds: was OverflowError
        ("faults", '{"retry_after": 1' + "0" * 400 + "}"),
        ("knobs", '{"throttle": {"times": 1' + "0" * 400 + "}}"),
        ("knobs", '{"latency": Infinity}'),  # Python reads it; every later call would wait forever
        ("knobs", '{"latency": NaN}'),
        ("knobs", '{"error_rate": NaN}'),
        ("faults", '{"delay": 1e999}'),
        ("knobs", "[" * 100_000 + "]" * 100_000),  # was RecursionError
        ("faults", '{"content_type": "text/plain\\r\\nX-Injected: 1"}'),  # a header the fault cannot send
        ("faults", '{"retry_after": "30\\nX-Injected: 1"}'),
    ],
)
@pytest.mark.parametrize("emulator", EMULATORS)
def test_a_body_no_control_can_use_is_a_400(
    emulators: Client, emulator: str, control: str, body: str
) -> None:
    response = emulators.post(
        f"/emulator/{emulator}/_control/{control}", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:500]
    assert strict_json(response.content.decode())["error"]
