"""The v8 SOAP emulator for tests: served by pytest-django's `live_server`,
reached by the real `v8` backend over real HTTP, inspected and steered through
its `_control/` endpoints."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import requests

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.v8 import V8Backend

if TYPE_CHECKING:
    from tests.contract.harness import Harness

IMS_CLIENT = ("emulator-client-id", "emulator-client-secret")
LOGIN = ("emulator-operator", "emulator-password")


@dataclass
class V8Emulator:
    url: str  # the site's live URL
    session: requests.Session

    @property
    def base(self) -> str:
        return f"{self.url}/emulator/v8"

    def control(self, action: str, data: Any = None) -> Any:
        response = self.session.post(f"{self.base}/_control/{action}", json=data or {}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.session.get(f"{self.base}/_control/state", timeout=10).json()

    def log(self) -> list[dict[str, Any]]:
        return self.session.get(f"{self.base}/_control/log", timeout=10).json()["entries"]

    def actions(self) -> list[str]:
        """The SOAP actions that reached the router, in order."""
        return [entry["action"] for entry in self.log()]

    def replicate(self) -> dict[str, int]:
        return self.control("replicate")

    def fail(self, **rule: Any) -> None:
        self.control("fail", rule)

    def recipients(self) -> list[dict[str, str]]:
        return self.state()["recipients"]

    def subscriptions(self, email: str) -> set[str]:
        return {service for address, service in self.state()["subscriptions"] if address == email}


def configure(settings: Any, live_url: str, auth: str) -> None:
    """Point the site at the emulator: CAMPAIGN_BACKEND=v8 with `auth`."""
    settings.DEBUG = True
    settings.EMULATOR_ENABLED = True
    settings.CAMPAIGN_BACKEND = "v8"
    settings.V8_URL = f"{live_url}/emulator/v8"
    settings.V8_AUTH = auth
    settings.V8_IMS_URL = f"{live_url}/emulator"
    settings.V8_CLIENT_ID, settings.V8_CLIENT_SECRET = IMS_CLIENT
    settings.V8_LOGIN, settings.V8_PASSWORD = LOGIN
    settings.V8_MESSAGES = "site"
    settings.V8_EVENT_TYPES = ""
    reset_backends()


def start(settings: Any, live_url: str, auth: str = "ims") -> V8Emulator:
    configure(settings, live_url, auth)
    emulator = V8Emulator(live_url, requests.Session())
    emulator.control("reset")
    emulator.session.post(f"{live_url}/emulator/ims/_control/reset", timeout=10)
    return emulator


def backend() -> V8Backend:
    loaded = get_backend()
    assert isinstance(loaded, V8Backend)
    return loaded


def contract_harness(request: pytest.FixtureRequest) -> "Harness":
    """The v8 entry of tests/contract: messages as real-time events, and
    `settle` runs the staging workflow."""
    from tests.contract.harness import Harness

    settings = request.getfixturevalue("settings")
    emulator = start(settings, request.getfixturevalue("live_server").url, "ims")
    settings.V8_MESSAGES = "rtevent"
    reset_backends()
    return Harness(
        name="v8",
        backend=get_backend(),
        sent=lambda: [event["email"] for event in emulator.state()["events"]],
        settle=lambda: _replicate(emulator),
    )


def _replicate(emulator: V8Emulator) -> None:
    emulator.replicate()
