"""The v8 SOAP emulator for tests: served by pytest-django's `live_server`,
reached by the real `v8` backend over real HTTP, inspected and steered through
its controls (tests/emulator_support.py, plus what is v8's own)."""

from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.v8 import V8Backend
from tests.emulator_support import Controls

if TYPE_CHECKING:
    from tests.contract.harness import Harness

IMS_CLIENT = ("emulator-client-id", "emulator-client-secret")
LOGIN = ("emulator-operator", "emulator-password")


class V8Emulator(Controls):
    """The v8 emulator's controls, and the IMS's beside them (`ims`)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url}/emulator/v8", "v8")
        self.url = url  # the site's live URL
        self.ims = Controls(f"{url}/emulator/ims", "ims", self.http)

    def reset(self) -> None:
        super().reset()
        self.ims.reset()

    def actions(self) -> list[str]:
        """The SOAP actions that reached the router, in order."""
        return [entry["action"] for entry in self.log()]

    def replicate(self) -> dict[str, int]:
        replicated: dict[str, int] = self.control("replicate")
        return replicated

    def add_recipients(self, *rows: dict[str, str]) -> list[dict[str, str]]:
        """Rows straight into the cloud tables, as if replicated long ago."""
        added: list[dict[str, str]] = self.control("recipients", list(rows))["added"]
        return added

    def recipients(self) -> list[dict[str, str]]:
        recipients: list[dict[str, str]] = self.state()["recipients"]
        return recipients

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
    emulator = V8Emulator(live_url)
    emulator.reset()
    return emulator


def backend() -> V8Backend:
    loaded = get_backend()
    assert isinstance(loaded, V8Backend)
    return loaded


def contract_harness(request: pytest.FixtureRequest) -> "Harness":
    """The v8 entry of tests/contract, as configured by default
    (V8_MESSAGES=site: messages go out through Django's email)."""
    return _contract_harness(request, "site")


def contract_harness_rtevent(request: pytest.FixtureRequest) -> "Harness":
    """The v8 entry of tests/contract with messages as real-time events."""
    return _contract_harness(request, "rtevent")


def _contract_harness(request: pytest.FixtureRequest, messages: str) -> "Harness":
    """`settle` runs the staging workflow; the unknown key is an address
    nobody has (on v8 a profile's key is its address)."""
    from tests.contract.harness import Harness

    settings = request.getfixturevalue("settings")
    emulator = start(settings, request.getfixturevalue("live_server").url, "ims")
    settings.V8_MESSAGES = messages
    reset_backends()

    def pushed() -> list[str]:
        return [event["email"] for event in emulator.state()["events"]]

    def reached() -> list[str]:
        return [f"{entry['action']} {' '.join(entry.get('params', []))}" for entry in emulator.log()]

    return Harness(
        name="v8" if messages == "site" else f"v8-{messages}",
        backend=get_backend(),
        sent=_mailed if messages == "site" else pushed,
        unknown_pkey="nobody.has.this.address@example.com",
        reached=reached,
        settle=emulator.replicate,
    )


def _mailed() -> list[str]:
    """Recipients of what went out through Django's email (the test mailbox)."""
    return [address for message in mail.outbox for address in message.to]
