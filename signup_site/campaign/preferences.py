"""The "Update your Profile and Preference Details" verbs.

Reading goes to Campaign (by PKey, re-resolved by email once when Campaign no
longer knows the key) and overlays the person's own changes that have not
reached Campaign yet, so someone who just pressed "Update" sees their update.
Where Campaign applies accepted writes later (v8 staging: the backend's
`apply_delay`), changes delivered within that delay stay pending until a read
shows them applied. Writing queues only what changed; a new email address is
`email_change`'s business. "Email me my link" is here too: it is how a person
without a link reaches this page; the page takes the request in, and the
worker looks the address up.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import deadline, outbox
from .addresses import AddressRefused, canonical_address, same_address
from .backends import get_backend
from .backends.base import Profile
from .config import campaign_config
from .delivery import active_optouts, remember_pkey
from .email_change import request_email_change
from .emails import Links, links_context, provided_links, queue_site_email, sent_recently
from .errors import ProfileNotFound
from .models import Change, InboundRequest, OptOut, Pause, Subscriber, Topic
from .optouts import end_optouts, opt_out

PROFILE_FIELDS = ("first_name", "last_name", "language")
LINK_TEMPLATE = "preferences-link"


@dataclass(frozen=True)
class Snapshot:
    """The editable state of a person's preferences: what the form shows."""

    first_name: str
    last_name: str
    email: str
    language: str
    topics: frozenset[str]  # service names subscribed to

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, for the page to carry what it showed."""
        return {**vars(self), "topics": sorted(self.topics)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Snapshot":
        return cls(
            first_name=str(data["first_name"]),
            last_name=str(data["last_name"]),
            email=str(data["email"]),
            language=str(data["language"]),
            topics=frozenset(str(name) for name in data["topics"]),
        )


@dataclass(frozen=True)
class Preferences:
    state: Snapshot
    topics: tuple[Topic, ...]  # the topics the page offers
    pending: frozenset[str] = field(default_factory=frozenset)  # fields/services on their way
    stopped_all: bool = False  # the person opted out of all email
    pending_email: str = ""  # a new address waiting for confirmation


@dataclass(frozen=True)
class UpdateResult:
    fields: tuple[str, ...]
    subscribed: tuple[Topic, ...]
    unsubscribed: tuple[Topic, ...]
    email_change_requested: bool


def find_subscriber(public_id: object) -> Subscriber | None:
    """The person a preferences link (or the session it started) names; an
    erased person is no one."""
    subscriber = Subscriber.objects.by_public_id(public_id)
    return None if subscriber is None or subscriber.status == Subscriber.Status.ERASED else subscriber


def offered_topics() -> tuple[Topic, ...]:
    """The topics the preferences page offers, in order."""
    return tuple(Topic.objects.filter(active=True).prefetch_related("translations"))


def read_profile(subscriber: Subscriber) -> Profile | None:
    """The person's Campaign profile by PKey; None if it is not in Campaign yet."""
    backend = get_backend()
    if subscriber.campaign_pkey:
        try:
            return backend.get_profile(subscriber.campaign_pkey)
        except ProfileNotFound:
            # The key changed (e.g. an instance migration): find them again,
            # unless the key is the address itself (v8), which was just asked.
            if same_address(subscriber.campaign_pkey, subscriber.email):
                return None
    profile = backend.find_profile(subscriber.email)
    # A miss keeps the cached key: on v8 a profile the outbox created is not
    # readable until staging is replicated, and later writes need its key.
    if profile is not None:
        remember_pkey(subscriber, profile.pkey)
    return profile


def _unconfirmed_changes(subscriber: Subscriber) -> QuerySet[Change]:
    """The person's changes a read may not show yet: those not delivered, and
    those delivered within the backend's apply delay (v8 staging)."""
    unconfirmed = Q(status__in=Change.UNFINISHED)
    delay = get_backend().apply_delay
    if delay:
        unconfirmed |= Q(status=Change.Status.DONE, delivered_at__gte=timezone.now() - delay)
    return subscriber.changes.filter(unconfirmed).order_by("id")


def get_preferences(subscriber: Subscriber) -> Preferences:
    """What the preferences page shows. Raises `CampaignUnavailable` when
    Campaign cannot be read within CAMPAIGN_READ_BUDGET_SECONDS."""
    topics = offered_topics()
    offered = {topic.service_name for topic in topics}
    with deadline.within(campaign_config().read_budget_seconds):
        profile = read_profile(subscriber)
        subscribed = (
            get_backend().subscriptions(profile.pkey) & offered if profile is not None else frozenset()
        )
    if profile is not None:
        state = {
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "email": profile.email,
            "language": profile.language or subscriber.language,
        }
        stopped_all = profile.blacklist_email
    else:
        state = {
            "first_name": subscriber.first_name,
            "last_name": subscriber.last_name,
            "email": subscriber.email,
            "language": subscriber.language,
        }
        stopped_all = False

    read = dict(state)
    undelivered: set[str] = set()  # fields and services with changes on their way
    delivered: set[str] = set()  # ... or accepted, but maybe not applied yet
    topic_state = set(subscribed)
    for change in _unconfirmed_changes(subscriber):
        payload = change.payload
        touched = delivered if change.status == Change.Status.DONE else undelivered
        if change.kind in (Change.Kind.UPDATE_PROFILE, Change.Kind.SYNC_PROFILE):
            for name in (*PROFILE_FIELDS, "email"):
                if name in payload and payload[name] != state[name]:
                    state[name] = payload[name]
                    touched.add(name)
            if "blacklist_email" in payload:
                stopped_all = payload["blacklist_email"]
        elif change.kind == Change.Kind.SUBSCRIBE and payload["service"] in offered:
            topic_state.add(payload["service"])
            touched.add(payload["service"])
        elif change.kind == Change.Kind.UNSUBSCRIBE and payload["service"] in offered:
            topic_state.discard(payload["service"])
            touched.add(payload["service"])
    # A delivered change is pending until a read shows it applied.
    applied = {
        name
        for name in delivered
        if (state[name] == read[name] if name in state else (name in topic_state) == (name in subscribed))
    }
    pending = undelivered | (delivered - applied)
    # The site honours an opt-out at once, whatever Campaign reports. A pause
    # sets the same blacklist, but is no unsubscribe: the page shows it itself.
    paused = Pause.objects.filter(subscriber=subscriber, ended_at__isnull=True).exists()
    stopped_all = (stopped_all and not paused) or active_optouts(subscriber).filter(
        topic__isnull=True
    ).exists()
    waiting = subscriber.email_changes.filter(confirmed_at__isnull=True).order_by("-id").first()
    return Preferences(
        state=Snapshot(topics=frozenset(topic_state), **state),
        topics=topics,
        pending=frozenset(pending),
        stopped_all=stopped_all,
        pending_email=waiting.new_email if waiting else "",
    )


def update_preferences(
    subscriber: Subscriber, shown: Snapshot, submitted: Snapshot, links: Links
) -> UpdateResult:
    """Queue what differs between what the person was shown and what they sent.

    Only changed fields are patched; only topics whose box changed are
    (un)subscribed; topics the page did not offer are never touched. A new
    email address takes effect once its owner confirms it.
    """
    offered = {topic.service_name: topic for topic in offered_topics()}
    fields = {
        name: getattr(submitted, name)
        for name in PROFILE_FIELDS
        if getattr(submitted, name) != getattr(shown, name)
    }
    added = [offered[name] for name in sorted(submitted.topics - shown.topics) if name in offered]
    removed = [offered[name] for name in sorted(shown.topics - submitted.topics) if name in offered]
    new_email = canonical_address(submitted.email)
    # What the page showed may be Campaign's spelling of the same mailbox.
    email_changed = not same_address(new_email, shown.email)
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if fields:
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=list(fields))
            outbox.record(locked, Change.Kind.UPDATE_PROFILE, **fields)
        for topic in added:
            outbox.record(locked, Change.Kind.SUBSCRIBE, service=topic.service_name)
        end_optouts(locked, added, OptOut.Ended.RESUBSCRIBED, everything=False)
        for topic in removed:
            opt_out(locked, topic, OptOut.Via.PREFERENCES)
        if email_changed:
            request_email_change(locked, new_email, links)
    return UpdateResult(
        fields=tuple(fields),
        subscribed=tuple(added),
        unsubscribed=tuple(removed),
        email_change_requested=email_changed,
    )


def send_preferences_link(email: str, links: Links) -> None:
    """Take in a request for a fresh preferences link, and return.

    Nothing is looked up here, so the page answers the same, with the same
    work, whether the address is known or not (nor how long it takes tells):
    the worker's `take_link_request` emails the link if it is. An address
    the site refuses is known to no one. The worker makes the link with the
    links the web app provided (`emails.provided_links`), the same as `links`.
    """
    try:
        address = canonical_address(email)
    except AddressRefused:
        return
    with transaction.atomic():
        outbox.take_in(InboundRequest.Kind.PREFERENCES_LINK, address)


def take_link_request(taken: InboundRequest) -> None:
    """The worker's half of "email me my link": email a fresh preferences link
    if the address is known (by its canonical spelling) and under its limit;
    nothing otherwise."""
    subscriber = Subscriber.objects.filter(email=taken.email).first()
    if subscriber is None:
        return
    if sent_recently(subscriber, LINK_TEMPLATE) >= campaign_config().emails_per_hour:
        return
    queue_site_email(
        subscriber,
        LINK_TEMPLATE,
        to=subscriber.email,
        language=subscriber.language,
        context=links_context(subscriber, provided_links()),
    )
