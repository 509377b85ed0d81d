"""The campaign package's configuration, parsed in this one module.

`settings.py` reads the environment and holds every default; this module turns
those settings into typed, frozen objects, checks them, and keeps them:
`campaign_config()`, `acs_config()` and `v8_config()` parse once per process
(and again only when a test changes a setting). A malformed or incomplete value
raises `CampaignMisconfigured` naming the variable; the system check in
`checks.py` reports the same message, so `manage.py check` (and every command
that runs checks at start-up: runserver, migrate, worker) fails before the
first delivery rather than days later.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .errors import CampaignMisconfigured

BACKEND_ALIASES = {
    "local": "signup_site.campaign.backends.local.LocalBackend",
    "acs": "signup_site.campaign.backends.acs.ACSBackend",
    "v8": "signup_site.campaign.backends.v8.V8Backend",
}
V8_AUTH_MODES = ("ims", "logon")
V8_MESSAGE_MODES = ("site", "rtevent")
# Transactional events live under `mc` + the Marketing Cloud tenant id (Adobe's
# "Transactional messages" API page), which is usually the organization without
# its instance suffix (acme-mkt-stage1 -> mcacme), but not always: configurable.
_INSTANCE_SUFFIX = re.compile(r"-mkt-.*$")


@dataclass(frozen=True)
class OutboxConfig:
    retry_base_seconds: float
    retry_max_seconds: float
    claim_timeout_seconds: float
    # How many changes one worker has on their way to Campaign at once.
    delivery_slots: int
    # After a refused credential or a bad setting: the least wait before Campaign is tried again.
    operator_retry_seconds: float


@dataclass(frozen=True)
class CampaignConfig:
    """What every backend shares: which one, how the outbox retries, how long
    a page waits on Campaign, the largest reply read, and the sign-up rules."""

    backend: str  # a dotted path (aliases resolved)
    outbox: OutboxConfig
    read_budget_seconds: float
    max_reply_bytes: int
    double_opt_in: bool
    emails_per_hour: int
    welcome_message: str
    health_optout_max_age_hours: float


@dataclass(frozen=True)
class PrivacyConfig:
    """Download my data and delete me (PRIVACY_* settings)."""

    link_max_age_minutes: int
    evidence_retention_days: int
    hash_salt: str = field(repr=False)
    regulation: str
    poll_seconds: float
    acs_namespace: str
    v8_namespace: str


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
    connect_timeout: float
    write_timeout: float
    read_timeout: float
    # The custom field (profileAndServicesExt) for the email frequency; "": none.
    frequency_field: str = ""

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


@dataclass(frozen=True)
class V8Config:
    url: str
    auth: str
    login: str
    password: str = field(repr=False)
    ims_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    staging_schema: str
    messages: str
    event_types: Mapping[str, str]
    apply_delay: timedelta
    connect_timeout: float
    read_timeout: float
    # The nms:recipient attribute for the email frequency; "": none.
    frequency_attribute: str = ""

    @property
    def router_url(self) -> str:
        """The SOAP router: every call is a POST here."""
        return f"{self.url}/nl/jsp/soaprouter.jsp"

    @property
    def staging_element(self) -> str:
        """The element name of staging rows: `nms:recipientStg` -> `recipientStg`."""
        return self.staging_schema.split(":", 1)[1]

    def event_type(self, message: str, language: str = "") -> str:
        """The rtEvent type of a message (in the person's language when one is
        configured); the message name itself when none is."""
        return for_message(self.event_types, message, language) or message


# --- parsing helpers -----------------------------------------------------------------


def parse_scopes(scopes: str) -> tuple[str, ...]:
    """Scopes from a comma- (or space-) separated string."""
    return tuple(item.strip() for item in scopes.replace(" ", ",").split(",") if item.strip())


def parse_message_map(raw: str, *, setting: str, form: str) -> Mapping[str, str]:
    """`"welcome=A, special-offer.es=B"` -> `{"welcome": "A", "special-offer.es": "B"}`.

    Keys are message names, optionally with a language (`welcome.es`); commas
    or newlines separate the pairs. A malformed pair raises
    `CampaignMisconfigured` naming `setting` and the expected `form`.
    """
    pairs: dict[str, str] = {}
    for item in raw.replace("\n", ",").split(","):
        if not item.strip():
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name or not value:
            raise CampaignMisconfigured(f"{setting}: {item.strip()!r} is not {form}")
        pairs[name] = value
    return MappingProxyType(pairs)


def for_message(pairs: Mapping[str, str], message: str, language: str = "") -> str | None:
    """The value for a message, in the person's language when one is configured."""
    return pairs.get(f"{message}.{language}") or pairs.get(message)


def parse_events(raw: str) -> Mapping[str, str]:
    """`ACS_EVENTS`: `"welcome=EVTwelcome, special-offer=EVTspecialOffer"` -> a mapping."""
    events = parse_message_map(raw, setting="ACS_EVENTS", form="message=EVTid")
    for event_id in events.values():
        if not event_id.startswith("EVT"):
            raise CampaignMisconfigured(f"ACS_EVENTS: event ids start with EVT, not {event_id!r}")
    return events


def default_transactional_api(organization: str) -> str:
    """`mc` + the organization without its `-mkt-...` suffix."""
    return "mc" + _INSTANCE_SUFFIX.sub("", organization)


def _require(*names: str, why: str) -> None:
    missing = [name for name in names if not getattr(settings, name)]
    if missing:
        raise CampaignMisconfigured(f"{why} needs {', '.join(missing)}")


def _seconds(name: str) -> float:
    """A duration setting: a number, not below zero."""
    value = float(getattr(settings, name))
    if value < 0:
        raise CampaignMisconfigured(f"{name} must not be negative, not {value:g}")
    return value


def _positive_int(name: str) -> int:
    """A count setting: a whole number above zero."""
    value = getattr(settings, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CampaignMisconfigured(f"{name} must be a whole number above zero, not {value!r}")
    return value


# --- the objects, parsed once ---------------------------------------------------------


@cache
def campaign_config() -> CampaignConfig:
    backend = settings.CAMPAIGN_BACKEND
    if "." not in backend and backend not in BACKEND_ALIASES:
        raise CampaignMisconfigured(
            f"CAMPAIGN_BACKEND must be {', '.join(BACKEND_ALIASES)} or a dotted path, not {backend!r}"
        )
    return CampaignConfig(
        backend=BACKEND_ALIASES.get(backend, backend),
        outbox=OutboxConfig(
            retry_base_seconds=_seconds("CAMPAIGN_RETRY_BASE_SECONDS"),
            retry_max_seconds=_seconds("CAMPAIGN_RETRY_MAX_SECONDS"),
            claim_timeout_seconds=_seconds("OUTBOX_CLAIM_TIMEOUT_SECONDS"),
            delivery_slots=_positive_int("OUTBOX_DELIVERY_SLOTS"),
            operator_retry_seconds=_seconds("CAMPAIGN_AUTH_RETRY_SECONDS"),
        ),
        read_budget_seconds=_seconds("CAMPAIGN_READ_BUDGET_SECONDS"),
        max_reply_bytes=_positive_int("CAMPAIGN_MAX_REPLY_BYTES"),
        double_opt_in=bool(settings.SIGNUP_DOUBLE_OPT_IN),
        emails_per_hour=int(settings.SIGNUP_EMAILS_PER_HOUR),
        welcome_message=settings.SIGNUP_WELCOME_MESSAGE,
        health_optout_max_age_hours=_seconds("HEALTH_OPTOUT_MAX_AGE_HOURS"),
    )


@cache
def acs_config() -> ACSConfig:
    _require(
        "ACS_ORGANIZATION",
        "ACS_CLIENT_ID",
        "ACS_CLIENT_SECRET",
        "ACS_API_URL",
        "ACS_IMS_URL",
        why="The acs backend",
    )
    organization = settings.ACS_ORGANIZATION.strip("/")
    return ACSConfig(
        api_url=settings.ACS_API_URL.rstrip("/"),
        ims_url=settings.ACS_IMS_URL.rstrip("/"),
        organization=organization,
        transactional_api=settings.ACS_TRANSACTIONAL_API or default_transactional_api(organization),
        client_id=settings.ACS_CLIENT_ID,
        client_secret=settings.ACS_CLIENT_SECRET,
        scopes=parse_scopes(settings.ACS_SCOPES),
        events=parse_events(settings.ACS_EVENTS),
        connect_timeout=_seconds("ACS_CONNECT_TIMEOUT_SECONDS"),
        write_timeout=_seconds("ACS_TIMEOUT_SECONDS"),
        read_timeout=_seconds("ACS_READ_TIMEOUT_SECONDS"),
        frequency_field=settings.ACS_EMAIL_FREQUENCY_FIELD,
    )


@cache
def v8_config() -> V8Config:
    auth = settings.V8_AUTH.lower()
    messages = settings.V8_MESSAGES.lower()
    if auth not in V8_AUTH_MODES:
        raise CampaignMisconfigured(f"V8_AUTH must be ims or logon, not {settings.V8_AUTH!r}")
    if messages not in V8_MESSAGE_MODES:
        raise CampaignMisconfigured(f"V8_MESSAGES must be site or rtevent, not {settings.V8_MESSAGES!r}")
    credentials = ("V8_LOGIN", "V8_PASSWORD") if auth == "logon" else ("V8_CLIENT_ID", "V8_CLIENT_SECRET")
    _require("V8_URL", *credentials, *(("V8_IMS_URL",) if auth == "ims" else ()), why=f"V8_AUTH={auth}")
    schema = settings.V8_PROFILE_STAGING_SCHEMA
    if not re.fullmatch(r"\w+:\w+", schema):
        raise CampaignMisconfigured(f"V8_PROFILE_STAGING_SCHEMA must be namespace:name, not {schema!r}")
    return V8Config(
        url=settings.V8_URL.rstrip("/"),
        auth=auth,
        login=settings.V8_LOGIN,
        password=settings.V8_PASSWORD,
        ims_url=settings.V8_IMS_URL.rstrip("/"),
        client_id=settings.V8_CLIENT_ID,
        client_secret=settings.V8_CLIENT_SECRET,
        scopes=parse_scopes(settings.V8_SCOPES),
        staging_schema=schema,
        messages=messages,
        event_types=parse_message_map(
            settings.V8_EVENT_TYPES, setting="V8_EVENT_TYPES", form="message=eventType"
        ),
        apply_delay=timedelta(minutes=settings.V8_STAGING_DELAY_MINUTES),
        connect_timeout=_seconds("V8_CONNECT_TIMEOUT_SECONDS"),
        read_timeout=_seconds("V8_READ_TIMEOUT_SECONDS"),
        frequency_attribute=settings.V8_EMAIL_FREQUENCY_ATTRIBUTE,
    )


REGULATIONS = ("gdpr", "ccpa", "pdpa", "lgpd")


@cache
def privacy_config() -> PrivacyConfig:
    regulation = settings.PRIVACY_REGULATION
    if regulation not in REGULATIONS:
        raise CampaignMisconfigured(
            f"PRIVACY_REGULATION must be one of {', '.join(REGULATIONS)}, not {regulation!r}"
        )
    return PrivacyConfig(
        link_max_age_minutes=int(settings.PRIVACY_LINK_MAX_AGE_MINUTES),
        evidence_retention_days=int(settings.PRIVACY_EVIDENCE_RETENTION_DAYS),
        hash_salt=settings.PRIVACY_HASH_SALT,
        regulation=regulation,
        poll_seconds=_seconds("PRIVACY_POLL_SECONDS"),
        acs_namespace=settings.ACS_PRIVACY_NAMESPACE,
        v8_namespace=settings.V8_PRIVACY_NAMESPACE,
    )


def forget() -> None:
    """Parse again on next use (after a settings change)."""
    for parsed in (campaign_config, acs_config, v8_config, privacy_config):
        parsed.cache_clear()


@receiver(setting_changed)
def _setting_changed(**kwargs: Any) -> None:
    # Tests change settings with `override_settings` and pytest-django's
    # `settings` fixture: both send this signal.
    forget()
