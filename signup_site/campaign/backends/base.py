"""The backend interface: what every Campaign backend must do.

Backends exchange these small frozen dataclasses, never vendor JSON or XML.
Every method may raise the exceptions of `signup_site.campaign.errors`, and
nothing else: `CampaignUnavailable` (down, slow, throttled: retry later),
`CampaignAuthError` (credentials or configuration: an operator must act),
`CampaignRejected` (the data: retrying will not help) and, for the methods
taking a PKey, `ProfileNotFound` (re-resolve the person by email).

The outbox repeats a change whenever it did not see it succeed: after a crash,
a timeout, or an answer lost on the way back. So each method's docstring says
what repeating it does. Most are safe to repeat; `create_profile` is not on
every backend (callers `find_profile` first), and `send_message` is
at-least-once.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from ..errors import CampaignRejected

# The value of Campaign's language enumeration (ACS `preferredLanguage`, v8
# `nms:recipient/@language`: Campaign's locale list, see
# signup_site/emulator/languages.py for Adobe's page) sent for each of the
# site's languages. The enumeration has no region-free Arabic: Arabic goes as
# ar_sa, one documented value, since the site writes Modern Standard Arabic
# for every region; any ar_* reads back as Arabic.
CAMPAIGN_LANGUAGES = {
    "en": "en_us",
    "es": "es_es",
    "fr": "fr_fr",
    "de": "de_de",
    "pt-br": "pt_br",
    "it": "it_it",
    "ar": "ar_sa",
}
SITE_LANGUAGES = {value: key for key, value in CAMPAIGN_LANGUAGES.items()}
# A regional variant a marketer set in Campaign (en_gb, es_mx, fr_ca, pt_pt,
# ar_ae...) reads back as the site's language of that family.
SITE_LANGUAGE_FAMILIES = {value.split("_")[0]: key for key, value in CAMPAIGN_LANGUAGES.items()}


def to_campaign_language(language: str) -> str:
    return CAMPAIGN_LANGUAGES.get(language, "none")


def from_campaign_language(value: str | None) -> str:
    value = (value or "").lower()
    return SITE_LANGUAGES.get(value) or SITE_LANGUAGE_FAMILIES.get(value.split("_")[0], "")


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
    language: str = ""  # the site's code ("en", "pt-br"...); "" when Campaign has none
    blacklist_email: bool = False
    # The email frequency the person chose ("": every email), where the
    # backend reads it back; None where it does not.
    email_frequency: str | None = None


@dataclass(frozen=True)
class ProfileFields:
    """Fields to create a profile with, or to change (None leaves a field alone)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    blacklist_email: bool | None = None
    # The chosen email frequency ("": every email), in the field the brand
    # maps (ACS_EMAIL_FREQUENCY_FIELD, V8_EMAIL_FREQUENCY_ATTRIBUTE).
    email_frequency: str | None = None

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


@dataclass(frozen=True)
class ErasureRequest:
    """A person's erasure, as a backend files it in Campaign's privacy tool."""

    name: str  # unique per request, the same on every retry
    email: str  # the reconciliation value (namespaces reconcile by email)
    regulation: str  # "gdpr", "ccpa", "pdpa" or "lgpd"


@dataclass(frozen=True)
class ErasureStatus:
    """Where Campaign is with an erasure: `done` once nothing of the person is left."""

    state: str  # Campaign's own word for it ("processing", "complete", ...)
    done: bool


class CampaignBackend(ABC):
    """One Campaign. Instances are shared by the threads of a process."""

    # How long Campaign may take to show, in reads, a write it has accepted:
    # zero when writes apply at once; v8 stages them and applies them hourly.
    # Until then the preferences page shows such changes as pending.
    apply_delay: timedelta = timedelta(0)
    # True when `create_profile` is an upsert by address that sets every field
    # it is given (v8): bringing a profile up to date then needs no lookup.
    upserts_profiles: bool = False

    @abstractmethod
    def find_profile(self, email: str) -> Profile | None:
        """The profile with this email address (the oldest if several), or None.

        A read: repeating it is harmless. Where writes are staged (v8), a
        profile created less than `apply_delay` ago may not be found yet.
        """

    @abstractmethod
    def create_profile(self, fields: ProfileFields) -> Profile:
        """Create a profile with the fields that are set (`email` is required).

        NOT idempotent on every backend: ACS (and `local`, which keeps its
        rules) do not de-duplicate profiles by email, so repeating a create
        whose answer was lost makes a second profile. Callers look the person
        up with `find_profile` first, and `find_profile` answers the oldest, so
        such a duplicate is never used. On v8 it is an upsert by address:
        repeating it is harmless. `CampaignRejected` without an address or
        when Campaign refuses a value.
        """

    @abstractmethod
    def get_profile(self, pkey: str) -> Profile:
        """Read a profile by its PKey.

        A read: repeating it is harmless. `ProfileNotFound` when it is gone,
        when the key is another backend's, or (v8) before staging applied it.
        """

    @abstractmethod
    def update_profile(self, pkey: str, fields: ProfileFields) -> str | None:
        """Change the fields that are set, and only those.

        Values are set, not added to: repeating an update reaches the same end
        state. Returns the profile's new PKey when the change gave it one (v8
        keys profiles by address), else None. `ProfileNotFound` for an unknown
        key, `CampaignRejected` when Campaign refuses a value; on v8 an address
        change is `CampaignUnavailable` (with `retry_after`) until Campaign
        has applied the profile from staging.
        """

    @abstractmethod
    def list_services(self) -> list[Service]:
        """Every service Campaign offers. A read: repeating it is harmless."""

    @abstractmethod
    def subscriptions(self, pkey: str) -> frozenset[str]:
        """Names of the services the profile is subscribed to.

        A read: repeating it is harmless. `ProfileNotFound` for an unknown
        key (on v8, another backend's key; a v8 profile not yet applied from
        staging has none).
        """

    @abstractmethod
    def subscribe(self, pkey: str, service: str) -> None:
        """Subscribe the profile to the service.

        Idempotent: subscribing a subscribed profile is a no-op, so repeating
        it is harmless, even when another worker subscribed it meanwhile.
        `CampaignRejected` for an unknown service, `ProfileNotFound` for an
        unknown key (v8 subscribes an address it does not know, creating the
        recipient).
        """

    def subscribe_new_profile(self, pkey: str, service: str) -> None:
        """`subscribe`, for a profile the caller has just created: it has no
        subscriptions yet, so a backend may skip reading them first.

        The same contract as `subscribe`, repeating included: a duplicate is
        still recognised as subscribed. Callers use it only for a profile
        their own `create_profile` answered, never for one they found.
        """
        self.subscribe(pkey, service)

    @abstractmethod
    def unsubscribe(self, pkey: str, service: str) -> None:
        """Remove the profile's subscription to the service.

        Idempotent: with no subscription it is a no-op, so repeating it is
        harmless. Never deletes the service itself. `CampaignRejected` for an
        unknown service, `ProfileNotFound` for an unknown key.
        """

    @abstractmethod
    def send_message(self, message: Message) -> None:
        """Send a transactional message.

        At-least-once: no Campaign API takes an idempotency key, so repeating
        a send whose answer was lost may deliver the message twice; callers
        repeat a send only when they did not see it succeed.
        `CampaignRejected` when the backend has no Campaign message for it
        (ACS without an event id in ACS_EVENTS).
        """

    def request_erasure(self, request: ErasureRequest) -> str:
        """File a delete request with Campaign's privacy tool; answers a
        reference for `erasure_status`.

        Safe to repeat: a request already filed under `request.name` (or, where
        Campaign names none, for the same address) is found, not filed twice.
        `CampaignRejected` when Campaign refuses it (an unknown namespace).
        """
        raise CampaignRejected(f"{type(self).__name__} cannot erase a person")

    def erasure_status(self, reference: str) -> ErasureStatus:
        """Where a filed erasure is. A read: repeating it is harmless (though
        Campaign's request moves on in its own time). `CampaignRejected` when
        Campaign reports it failed, `ProfileNotFound` for an unknown reference."""
        raise CampaignRejected(f"{type(self).__name__} cannot erase a person")
