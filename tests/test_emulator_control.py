"""The emulators' one control API (signup_site/emulator/control.py): the same
control request gets the same answer from the emulated ACS, v8 and IMS, and
the common knobs and faults act alike on each API. Plain `requests`: what a
developer's curl would see."""

import ast
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.acs_support import CLIENT_ID, CLIENT_SECRET, ORGANIZATION, Emulator, use_acs_emulator
from tests.emulator_support import TIMEOUT, Controls
from tests.helpers import wait_until

EMULATORS = ("acs", "v8", "ims")
OWN_KNOBS = {"acs": {"event_ids"}, "v8": {"session_lifetime", "replicate_after"}, "ims": {"token_lifetime"}}
SERVICES_QUERY = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:urn="urn:xtk:queryDef"><soapenv:Body><urn:ExecuteQuery><urn:sessiontoken/><urn:entity>'
    '<queryDef schema="nms:service" operation="select"><select><node expr="@name"/></select></queryDef>'
    "</urn:entity></urn:ExecuteQuery></soapenv:Body></soapenv:Envelope>"
)


class Site:
    """The three emulators of one live server, and one ordinary call to each."""

    def __init__(self, acs: Emulator) -> None:
        self.url = acs.site
        v8 = Controls(f"{self.url}/emulator/v8", "v8", acs.http)
        v8.reset()
        self.controls: dict[str, Controls] = {"acs": acs, "v8": v8, "ims": acs.ims}
        self.token = self._token_request().json()["access_token"]

    def _token_request(self) -> requests.Response:
        credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": "campaign_sdk"}
        return requests.post(
            f"{self.url}/emulator/ims/token/v3",
            data={"grant_type": "client_credentials", **credentials},
            timeout=TIMEOUT,
        )

    def call(self, name: str) -> requests.Response:
        """A call that succeeds with 200 unless a knob or a fault says otherwise."""
        if name == "ims":
            return self._token_request()
        bearer = {"Authorization": f"Bearer {self.token}"}
        if name == "acs":
            return requests.get(
                f"{self.url}/emulator/acs/{ORGANIZATION}/campaign/profileAndServices/service",
                headers={**bearer, "X-Api-Key": CLIENT_ID},
                timeout=TIMEOUT,
            )
        return requests.post(
            f"{self.url}/emulator/v8/nl/jsp/soaprouter.jsp",
            data=SERVICES_QUERY.encode(),
            headers={
                **bearer,
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": "xtk:queryDef#ExecuteQuery",
            },
            timeout=TIMEOUT,
        )

    def raw(self, name: str, control: str, method: str = "POST", **kwargs: Any) -> requests.Response:
        """A control request as sent, whatever the answer."""
        url = f"{self.url}/emulator/{name}/_control/{control}"
        return requests.request(method, url, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def site(live_server: Any, settings: Any) -> Site:
    return Site(use_acs_emulator(live_server, settings))


@pytest.fixture(params=EMULATORS)
def name(request: pytest.FixtureRequest) -> str:
    chosen: str = request.param
    return chosen


def test_knobs_answer_the_same_shape(site: Site, name: str) -> None:
    knobs = site.controls[name].knobs()
    assert (knobs["latency"], knobs["error_rate"]) == (0.0, 0.0)
    assert knobs["throttle"] == {"times": 0, "retry_after": 30}
    assert knobs["rate_limit"] is None
    assert set(knobs) - {"latency", "error_rate", "throttle", "rate_limit"} == OWN_KNOBS[name]


def test_a_post_sets_the_knobs_it_names_null_puts_one_back_and_reset_all(site: Site, name: str) -> None:
    controls = site.controls[name]
    knobs = controls.knobs(latency=0.25, throttle={"times": 2})
    assert (knobs["latency"], knobs["error_rate"]) == (0.25, 0.0)
    assert knobs["throttle"] == {"times": 2, "retry_after": 30}
    assert controls.knobs(latency=None)["latency"] == 0.0
    controls.knobs(error_rate=0.5, throttle={"times": 3, "retry_after": 1})
    controls.reset()
    knobs = controls.knobs()
    assert (knobs["error_rate"], knobs["throttle"]) == (0.0, {"times": 0, "retry_after": 30})


@pytest.mark.parametrize(
    ("control", "body"),
    [
        ("knobs", {"latency": -1}),
        ("knobs", {"error_rate": 2}),
        ("knobs", {"latency_seconds": 2}),  # a name from before the one API: refused, not ignored
        ("knobs", {"throttle": {"times": "many"}}),
        ("knobs", {"rate_limit": {"calls": 0}}),
        ("knobs", {"rate_limit": {"calls": 5, "per": 1}}),
        ("knobs", ["latency"]),
        ("faults", {"status": 503, "fail": True}),
        ("faults", {"times": 0}),
        ("faults", [{"status": 503}, {"status": 99}]),
        ("expire", {"tokens": "yes"}),
    ],
)
def test_bad_input_is_a_400_everywhere(site: Site, name: str, control: str, body: Any) -> None:
    response = site.raw(name, control, json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"bad {control}: ")


def test_a_refused_post_changes_nothing(site: Site, name: str) -> None:
    assert site.raw(name, "knobs", json={"latency": 1, "error_rate": 2}).status_code == 400
    assert site.raw(name, "faults", json=[{"status": 502}, {"status": 0}]).status_code == 400
    assert (
        site.raw(name, "knobs", data="{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert site.controls[name].knobs()["latency"] == 0.0
    assert site.controls[name].control("faults", method="GET") == {"faults": []}


def test_unknown_controls_are_404_and_wrong_methods_405(site: Site, name: str) -> None:
    unknown = site.raw(name, "fail", json={})  # v8's name from before the one API
    assert unknown.status_code == 404
    assert "unknown control 'fail'" in unknown.json()["error"]
    wrong = site.raw(name, "reset", method="GET")
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "POST")


def test_faults_are_listed_and_cleared(site: Site, name: str) -> None:
    controls = site.controls[name]
    controls.control("faults", [{"status": 502, "times": 2}, {"status": 504, "delay": 0.5}])
    pending = controls.control("faults", method="GET")["faults"]
    assert [(rule["status"], rule["times"], rule["delay"]) for rule in pending] == [
        (502, 2, 0.0),
        (504, 1, 0.5),
    ]
    assert controls.control("faults", method="DELETE") == {"faults": []}
    assert site.call(name).status_code == 200


def test_a_fault_answers_the_next_calls_then_runs_out(site: Site, name: str) -> None:
    site.controls[name].fault(
        status=502, body="Bad gateway", content_type="text/plain", retry_after=9, times=2
    )
    for _ in range(2):
        response = site.call(name)
        assert (response.status_code, response.text, response.headers["Retry-After"]) == (
            502,
            "Bad gateway",
            "9",
        )
    assert site.call(name).status_code == 200


def test_throttle_answers_429_with_retry_after(site: Site, name: str) -> None:
    site.controls[name].throttle(times=1, retry_after=7)
    throttled = site.call(name)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    assert site.call(name).status_code == 200


def test_a_rate_limit_answers_429_beyond_its_calls_per_window(site: Site, name: str) -> None:
    # A window of an hour: the two calls are within it however slow the machine.
    controls = site.controls[name]
    knobs = controls.knobs(rate_limit={"calls": 2, "seconds": 3600, "retry_after": 7})
    assert knobs["rate_limit"] == {"calls": 2, "seconds": 3600, "retry_after": 7}
    assert [site.call(name).status_code for _ in range(2)] == [200, 200]
    throttled = site.call(name)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    assert site.call(name).status_code == 429  # a refused call does not count: still over
    controls.knobs(rate_limit=None)
    assert site.call(name).status_code == 200
    controls.knobs(rate_limit={"calls": 1, "seconds": 3600})
    controls.reset()
    assert controls.knobs()["rate_limit"] is None


def test_error_rate_answers_503s(site: Site, name: str) -> None:
    site.controls[name].knobs(error_rate=1.0)
    assert site.call(name).status_code == 503
    site.controls[name].knobs(error_rate=0.0)
    assert site.call(name).status_code == 200


def test_a_reset_ends_a_call_waiting_out_the_latency(site: Site, name: str) -> None:
    controls = site.controls[name]
    controls.knobs(latency=5)
    answers: list[requests.Response] = []
    slow = threading.Thread(target=lambda: answers.append(site.call(name)), daemon=True)
    slow.start()
    wait_until(lambda: controls.paused() == 1, "the call to be waiting out its latency")
    controls.reset()
    slow.join(timeout=10)
    assert not slow.is_alive()
    assert answers[0].status_code == 503  # cut short: with the 5 s latency served, it would be a 200
    assert controls.paused() == 0


def test_expire_answers_what_it_ended(site: Site, name: str) -> None:
    assert site.controls[name].expire() == {"tokens": 1, "sessions": 0}  # the site's token; no logon


def test_the_log_is_the_emulators_own_unless_asked(site: Site, name: str) -> None:
    for each in EMULATORS:
        assert site.call(each).status_code == 200
    own = site.raw(name, "log", method="GET").json()["entries"]
    assert own and {entry["service"] for entry in own} == {name}
    both = site.raw(name, "log", method="GET", params={"service": ["acs", "v8"]}).json()["entries"]
    assert {entry["service"] for entry in both} == {"acs", "v8"}
    assert site.raw(name, "log", method="DELETE").json() == {"entries": []}
    assert site.raw(name, "log", method="GET").json() == {"entries": []}
    others = site.raw(name, "log", method="GET", params={"service": list(EMULATORS)}).json()["entries"]
    assert others and name not in {entry["service"] for entry in others}


def test_no_emulator_module_imports_the_client() -> None:
    """A fake that shares code with the client agrees with its bugs."""
    package = Path(__file__).resolve().parent.parent / "signup_site" / "emulator"
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert "campaign" not in name.split("."), f"{source.relative_to(package)} imports {name}"


def test_the_log_keeps_its_newest_entries_up_to_its_size() -> None:
    """A burst's bench counts every call (EMULATOR_JOURNAL_ENTRIES): the
    journal keeps as many as it is sized for, the newest, and no more."""
    from django.test import RequestFactory

    from signup_site.emulator.journal import Journal

    journal = Journal(max_entries=3)
    for n in range(5):
        journal.record("acs", RequestFactory().get(f"/call/{n}"), 200, f"/call/{n}")
    assert [entry["path"] for entry in journal.entries()] == ["/call/2", "/call/3", "/call/4"]
