"""The `acs` backend's configuration, read from settings when it is created.

A missing or malformed value raises `CampaignAuthError`: like revoked
credentials, it needs an operator, and the outbox keeps the change until then.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

from ...errors import CampaignAuthError
from ..common import for_message, parse_message_map
from ..ims import parse_scopes

# Transactional events live under `mc` + the Marketing Cloud tenant id (Adobe's
# "Transactional messages" API page), which is usually the organization without
# its instance suffix (acme-mkt-stage1 -> mcacme), but not always: configurable.
_INSTANCE_SUFFIX = re.compile(r"-mkt-.*$")


def default_transactional_api(organization: str) -> str:
    """`mc` + the organization without its `-mkt-...` suffix."""
    return "mc" + _INSTANCE_SUFFIX.sub("", organization)


def parse_events(raw: str) -> dict[str, str]:
    """`"welcome=EVTwelcome, special-offer=EVTspecialOffer"` -> a dict.

    Keys are message names, optionally with a language (`welcome.es`).
    """
    events = parse_message_map(raw, setting="ACS_EVENTS", form="message=EVTid")
    for event_id in events.values():
        if not event_id.startswith("EVT"):
            raise CampaignAuthError(f"ACS_EVENTS: event ids start with EVT, not {event_id!r}")
    return events


@dataclass(frozen=True)
class ACSConfig:
    api_url: str
    ims_url: str
    organization: str
    transactional_api: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    events: Mapping[str, str]
    connect_timeout: float = 3.05
    write_timeout: float = 10.0
    read_timeout: float = 5.0

    @classmethod
    def from_settings(cls) -> "ACSConfig":
        organization = settings.ACS_ORGANIZATION.strip("/")
        required = ("ACS_ORGANIZATION", "ACS_CLIENT_ID", "ACS_CLIENT_SECRET", "ACS_API_URL", "ACS_IMS_URL")
        missing = [name for name in required if not getattr(settings, name, "")]
        if missing:
            raise CampaignAuthError(f"The acs backend needs {', '.join(missing)}")
        return cls(
            api_url=settings.ACS_API_URL.rstrip("/"),
            ims_url=settings.ACS_IMS_URL.rstrip("/"),
            organization=organization,
            transactional_api=(settings.ACS_TRANSACTIONAL_API or default_transactional_api(organization)),
            client_id=settings.ACS_CLIENT_ID,
            client_secret=settings.ACS_CLIENT_SECRET,
            scopes=parse_scopes(settings.ACS_SCOPES),
            events=parse_events(getattr(settings, "ACS_EVENTS", "")),
            connect_timeout=float(getattr(settings, "ACS_CONNECT_TIMEOUT_SECONDS", 3.05)),
            write_timeout=float(getattr(settings, "ACS_TIMEOUT_SECONDS", 10.0)),
            read_timeout=float(getattr(settings, "ACS_READ_TIMEOUT_SECONDS", 5.0)),
        )

    @property
    def base_url(self) -> str:
        """`{ACS_API_URL}/{ORGANIZATION}/campaign`: every top-level resource hangs off it."""
        return f"{self.api_url}/{self.organization}/campaign"

    @property
    def events_url(self) -> str:
        """Where transactional events are posted: under `mc<tenant>`, not the organization."""
        return f"{self.base_url}/{self.transactional_api}"

    def event_id(self, message: str, language: str = "") -> str | None:
        """The event id of a message, in the person's language when one is configured."""
        return for_message(self.events, message, language)
