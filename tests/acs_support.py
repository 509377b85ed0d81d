"""The `acs` backend against the ACS emulator over real HTTP: settings that
point the client at pytest-django's live server, and a client of the
emulator's controls (tests/emulator_support.py, plus what is ACS's own).

Each test module that needs it declares a fixture calling `use_acs_emulator`.
"""

from typing import Any

from signup_site.campaign.backends import reset_backends
from tests.emulator_support import Controls

ORGANIZATION = "acme-mkt-stage1"
# Deliberately not "mc" + the organization's tenant: the setting must be used.
TRANSACTIONAL_API = "mcacmetenant"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
EVENTS = "welcome=EVTwelcome,special-offer=EVTspecialOffer,welcome.es=EVTwelcomeEs"


class Emulator(Controls):
    """The ACS emulator's controls, and the IMS's beside them (`ims`)."""

    def __init__(self, site: str) -> None:
        super().__init__(f"{site}/emulator/acs", "acs")
        self.site = site
        self.acs = self.base
        self.ims = Controls(f"{site}/emulator/ims", "ims", self.http)

    def reset(self) -> None:
        super().reset()
        self.ims.reset()

    def add_services(self, **spec: Any) -> list[str]:
        added: list[str] = self.control("services", spec)["added"]
        return added

    def expire_tokens(self) -> None:
        self.ims.expire()

    def token_lifetime(self, seconds: int | None) -> None:
        self.ims.knobs(token_lifetime=seconds)

    def tokens_issued(self) -> int:
        issued: int = self.ims.state()["issued"]
        return issued

    def log(self, *services: str) -> list[dict[str, Any]]:
        """What reached the emulated ACS and IMS (or only `services`), in order."""
        return super().log(*(services or ("acs", "ims")))

    def clear_log(self, *services: str) -> None:
        super().clear_log(*(services or ("acs", "ims")))

    def calls(self) -> list[str]:
        """The API calls that reached Campaign, as "METHOD resource" with PKeys folded."""
        return [f"{entry['method']} {resource(entry['path'])}" for entry in self.log("acs")]

    def profiles(self, email: str | None = None) -> list[dict[str, Any]]:
        return [p for p in self.state()["profiles"] if email is None or p["email"] == email]

    def subscriptions(self, email: str) -> list[str]:
        return sorted(s["serviceName"] for s in self.state()["subscriptions"] if s["email"] == email)

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.state()["events"]
        return events

    def pkeys(self) -> set[str]:
        """Every PKey the emulator ever answered with (profiles, services,
        subscriptions, events)."""
        return set(self.state()["issued_pkeys"])


def resource(path: str) -> str:
    """`/acme-mkt-stage1/campaign/profileAndServices/profile/@x/subscriptions/`
    -> `profile/{PKey}/subscriptions/`."""
    tail = path.split("/campaign/", 1)[-1].removeprefix("profileAndServices/")
    return "/".join("{PKey}" if part.startswith("@") else part for part in tail.split("/"))


def use_acs_emulator(live_server: Any, settings: Any, **overrides: Any) -> Emulator:
    """Point the `acs` backend at the emulator served by `live_server`; a fresh,
    empty emulator."""
    settings.DEBUG = True  # the emulator refuses to answer otherwise
    settings.EMULATOR_ENABLED = True
    settings.EMULATOR_IMS = {"CLIENTS": f"{CLIENT_ID}:{CLIENT_SECRET}", "TOKEN_SECONDS": 86399}
    settings.EMULATOR_ACS = {
        "ORGANIZATION": ORGANIZATION,
        "TRANSACTIONAL_API": TRANSACTIONAL_API,
        "LATENCY_SECONDS": 0.0,
        "SEND_MAIL": True,
    }
    settings.CAMPAIGN_BACKEND = "acs"
    settings.ACS_API_URL = f"{live_server.url}/emulator/acs"
    settings.ACS_IMS_URL = f"{live_server.url}/emulator"
    settings.ACS_ORGANIZATION = ORGANIZATION
    settings.ACS_TRANSACTIONAL_API = TRANSACTIONAL_API
    settings.ACS_CLIENT_ID = CLIENT_ID
    settings.ACS_CLIENT_SECRET = CLIENT_SECRET
    settings.ACS_EVENTS = EVENTS
    settings.ACS_CONNECT_TIMEOUT_SECONDS = 3.05
    settings.ACS_TIMEOUT_SECONDS = 10.0
    settings.ACS_READ_TIMEOUT_SECONDS = 5.0
    for name, value in overrides.items():
        setattr(settings, name, value)
    reset_backends()
    emulator = Emulator(live_server.url)
    emulator.reset()
    return emulator
