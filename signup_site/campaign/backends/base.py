"""The backend interface: what every Campaign backend must do.

Backends exchange these small frozen dataclasses, never vendor JSON or XML.
Every method may raise the exceptions of `signup_site.campaign.errors`, and
nothing else. Methods are written so that repeating one after a crash is safe:
`subscribe` on a subscribed profile and `unsubscribe` on an unsubscribed one
are no-ops, and `find_profile` comes before any `create_profile`.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

# Campaign's preferredLanguage enumeration values for the site's languages.
CAMPAIGN_LANGUAGES = {"en": "en_us", "es": "es_es"}
SITE_LANGUAGES = {value: key for key, value in CAMPAIGN_LANGUAGES.items()}


def to_campaign_language(language: str) -> str:
    return CAMPAIGN_LANGUAGES.get(language, "none")


def from_campaign_language(value: str | None) -> str:
    return SITE_LANGUAGES.get(value or "", "")


@dataclass(frozen=True)
class Profile:
    """A Campaign profile, as far as the site uses it.

    `pkey` is Campaign's opaque key: kept server-side only, never put in a URL
    or an email (Adobe: generated PKeys must not be stored on external sites).
    """

    pkey: str
    email: str
    first_name: str = ""
    last_name: str = ""
    language: str = ""  # the site's code, "en" or "es"; "" when Campaign has none
    blacklist: bool = False
    blacklist_email: bool = False


@dataclass(frozen=True)
class ProfileFields:
    """Fields to create a profile with, or to change (None leaves a field alone)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    blacklist_email: bool | None = None

    def changed(self) -> dict[str, object]:
        """The fields that are set, by name."""
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Service:
    """A Campaign service (a topic people subscribe to)."""

    name: str
    label: str = ""


@dataclass(frozen=True)
class Message:
    """A transactional message: which one, to whom, with what personalisation."""

    name: str
    email: str
    language: str = "en"
    context: Mapping[str, str] = field(default_factory=dict)


class CampaignBackend(ABC):
    """One Campaign. Instances are shared by the threads of a process."""

    # How long Campaign may take to show, in reads, a write it has accepted:
    # zero when writes apply at once; v8 stages them and applies them hourly.
    # Until then the preferences page shows such changes as pending.
    apply_delay: timedelta = timedelta(0)

    @abstractmethod
    def find_profile(self, email: str) -> Profile | None:
        """The profile with this email address (the oldest if several), or None."""

    @abstractmethod
    def create_profile(self, fields: ProfileFields) -> Profile:
        """Create a profile. Callers look it up with `find_profile` first."""

    @abstractmethod
    def get_profile(self, pkey: str) -> Profile:
        """Read a profile by its PKey; `ProfileNotFound` when it is gone."""

    @abstractmethod
    def update_profile(self, pkey: str, fields: ProfileFields) -> str | None:
        """PATCH the fields that are set, and only those.

        Returns the profile's new PKey when the change gave it one (v8 keys
        profiles by address), else None.
        """

    @abstractmethod
    def list_services(self) -> list[Service]:
        """Every service Campaign offers."""

    @abstractmethod
    def subscriptions(self, pkey: str) -> frozenset[str]:
        """Names of the services the profile is subscribed to."""

    @abstractmethod
    def subscribe(self, pkey: str, service: str) -> None:
        """Subscribe the profile to the service; a no-op when already subscribed."""

    @abstractmethod
    def unsubscribe(self, pkey: str, service: str) -> None:
        """Remove the subscription; a no-op when there is none."""

    @abstractmethod
    def send_message(self, message: Message) -> None:
        """Send a transactional message."""
