"""The "Update your Profile and Preference Details" verbs.

Reading goes to Campaign (by PKey, re-resolved by email once when Campaign no
longer knows the key) and overlays the person's own changes that have not
reached Campaign yet, so someone who just pressed "Update" sees their update.
Where Campaign applies accepted writes later (v8 staging: the backend's
`apply_delay`), changes delivered within that delay stay pending until a read
shows them applied. Writing queues only what changed.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import deadline, optouts, outbox
from .addresses import normalise_email
from .backends import get_backend
from .backends.base import Profile
from .errors import ProfileNotFound
from .models import Change, OptOut, PendingEmailChange, Subscriber, Topic
from .services import Links, parse_public_id

PROFILE_FIELDS = ("first_name", "last_name", "language")
UNFINISHED = (Change.Status.PENDING, Change.Status.IN_PROGRESS)


@dataclass(frozen=True)
class Snapshot:
    """The editable state of a person's preferences: what the form shows."""

    first_name: str
    last_name: str
    email: str
    language: str
    topics: frozenset[str]  # service names subscribed to

    def as_session(self) -> dict[str, object]:
        return {**vars(self), "topics": sorted(self.topics)}

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> "Snapshot":
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

    @property
    def anything(self) -> bool:
        return bool(self.fields or self.subscribed or self.unsubscribed or self.email_change_requested)


def find_subscriber(public_id: object) -> Subscriber | None:
    parsed = parse_public_id(public_id)
    return Subscriber.objects.filter(public_id=parsed).first() if parsed else None


def offered_topics() -> tuple[Topic, ...]:
    return tuple(Topic.objects.filter(active=True).prefetch_related("translations"))


def _read_profile(subscriber: Subscriber) -> Profile | None:
    """The person's Campaign profile by PKey; None if it is not in Campaign yet."""
    backend = get_backend()
    if subscriber.campaign_pkey:
        try:
            return backend.get_profile(subscriber.campaign_pkey)
        except ProfileNotFound:
            # The key changed (e.g. an instance migration): find them again,
            # unless the key is the address itself (v8), which was just asked.
            if normalise_email(subscriber.campaign_pkey) == normalise_email(subscriber.email):
                return None
    profile = backend.find_profile(subscriber.email)
    # A miss keeps the cached key: on v8 a profile the outbox created is not
    # readable until staging is replicated, and later writes need its key.
    if profile is not None and profile.pkey != subscriber.campaign_pkey:
        Subscriber.objects.filter(pk=subscriber.pk).update(campaign_pkey=profile.pkey)
        subscriber.campaign_pkey = profile.pkey
    return profile


def _unconfirmed_changes(subscriber: Subscriber) -> QuerySet[Change]:
    """The person's changes a read may not show yet: those not delivered, and
    those delivered within the backend's apply delay (v8 staging)."""
    unconfirmed = Q(status__in=UNFINISHED)
    delay = get_backend().apply_delay
    if delay:
        unconfirmed |= Q(status=Change.Status.DONE, delivered_at__gte=timezone.now() - delay)
    return subscriber.changes.filter(unconfirmed).order_by("id")


def get_preferences(subscriber: Subscriber) -> Preferences:
    """What the preferences page shows. Raises `CampaignUnavailable` when
    Campaign cannot be read within CAMPAIGN_READ_BUDGET_SECONDS."""
    topics = offered_topics()
    offered = {topic.service_name for topic in topics}
    with deadline.within(settings.CAMPAIGN_READ_BUDGET_SECONDS):
        profile = _read_profile(subscriber)
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
    # The site honours an opt-out at once, whatever Campaign reports.
    stopped_all = stopped_all or optouts.is_suppressed(subscriber)
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
    new_email = normalise_email(submitted.email)
    email_changed = new_email != normalise_email(shown.email)
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if fields:
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=list(fields))
            outbox.record(locked, Change.Kind.UPDATE_PROFILE, **fields)
        for topic in added:
            outbox.record(locked, Change.Kind.SUBSCRIBE, service=topic.service_name)
        optouts.end_optouts(locked, added, OptOut.Ended.RESUBSCRIBED, everything=False)
        for topic in removed:
            optouts.opt_out(locked, topic, OptOut.Via.PREFERENCES)
        if email_changed:
            request_email_change(locked, new_email, links)
    return UpdateResult(
        fields=tuple(fields),
        subscribed=tuple(added),
        unsubscribed=tuple(removed),
        email_change_requested=email_changed,
    )


def request_email_change(subscriber: Subscriber, new_email: str, links: "Links") -> PendingEmailChange:
    change = PendingEmailChange.objects.create(subscriber=subscriber, new_email=new_email)
    outbox.record(
        subscriber,
        Change.Kind.SITE_EMAIL,
        template="email-change-confirm",
        email=new_email,
        language=subscriber.language,
        context={"firstName": subscriber.first_name, "confirmUrl": links.email_change_url(change)},
    )
    return change


def find_email_change(public_id: object) -> PendingEmailChange | None:
    parsed = parse_public_id(public_id)
    if parsed is None:
        return None
    return PendingEmailChange.objects.select_related("subscriber").filter(public_id=parsed).first()


class AddressTaken(Exception):
    """Another subscriber already uses the new address."""


def confirm_email_change(change: PendingEmailChange) -> None:
    """Apply a confirmed new address, and tell the old one. Idempotent."""
    with transaction.atomic():
        change = PendingEmailChange.objects.select_for_update().get(pk=change.pk)
        if change.confirmed_at is not None:
            return
        subscriber = Subscriber.objects.select_for_update().get(pk=change.subscriber_id)
        if Subscriber.objects.filter(email=change.new_email).exclude(pk=subscriber.pk).exists():
            raise AddressTaken
        old_email = subscriber.email
        change.confirmed_at = timezone.now()
        change.save(update_fields=["confirmed_at"])
        # person_key stays: the person is the same, and so is their coupon.
        subscriber.email = change.new_email
        subscriber.save(update_fields=["email"])
        outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, email=change.new_email)
        outbox.record(
            subscriber,
            Change.Kind.SITE_EMAIL,
            template="email-changed",
            email=old_email,
            language=subscriber.language,
            # No preferences link: the old address no longer owns this subscription.
            context={"firstName": subscriber.first_name},
        )


def send_preferences_link(email: str, links: Links) -> None:
    """Email a fresh preferences link if the address is known; silent otherwise."""
    subscriber = Subscriber.objects.filter(email=normalise_email(email)).first()
    if subscriber is None:
        return
    with transaction.atomic():
        hour_ago = timezone.now() - timedelta(hours=1)
        recent = subscriber.changes.filter(
            kind=Change.Kind.SITE_EMAIL,
            payload__template="preferences-link",
            created_at__gte=hour_ago,
        ).count()
        if recent >= settings.SIGNUP_EMAILS_PER_HOUR:
            return
        outbox.record(
            subscriber,
            Change.Kind.SITE_EMAIL,
            template="preferences-link",
            email=subscriber.email,
            language=subscriber.language,
            context={
                "firstName": subscriber.first_name,
                "preferencesUrl": links.preferences_url(subscriber),
                "unsubscribeUrl": links.unsubscribe_url(subscriber),
            },
        )


__all__ = [
    "AddressTaken",
    "Preferences",
    "Snapshot",
    "UpdateResult",
    "confirm_email_change",
    "find_email_change",
    "find_subscriber",
    "get_preferences",
    "send_preferences_link",
    "update_preferences",
]
