"""Delivery: how each kind of outbox change reaches Campaign.

`apply(change)` is called by the outbox worker for one claimed change and
either returns (delivered) or raises a `CampaignError` (the outbox decides
retry or park from its kind). Every step is safe to repeat after a crash: the
profile is found before it is created, subscribing twice is a no-op, and so on
(the backend interface states each method's contract).

Two rules live here because delivery is where they bite:
- **the person's Campaign key** (`resolve_pkey`): cached on the subscriber,
  found again by email when Campaign no longer knows it;
- **suppression** (`is_suppressed`): an opt-out is honoured by the site at
  once, whatever Campaign says, so no marketing message goes to that person.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from .backends import get_backend
from .backends.base import Message, ProfileFields
from .erasure import deliver_erasure
from .errors import CampaignRejected, ProfileNotFound
from .mail import send_site_email
from .models import Change, OptOut, Pause, Subscriber

logger = logging.getLogger(__name__)

PROFILE_FIELD_NAMES = ("email", "first_name", "last_name", "language", "blacklist_email", "email_frequency")
# A subscribe change's payload key: the PKey of the profile the sync before it
# created (server-side only; the data download leaves it out).
NEW_PROFILE = "new_profile"


def active_optouts(subscriber: Subscriber) -> QuerySet[OptOut]:
    return OptOut.objects.filter(subscriber=subscriber, ended_at__isnull=True)


def is_suppressed(subscriber: Subscriber, topic_slug: str | None = None) -> bool:
    """True when the site must not send this person marketing email
    (about this topic, when one is named): an opt-out, or a pause."""
    if Pause.objects.filter(subscriber=subscriber, ended_at__isnull=True).exists():
        return True
    scope = Q(topic__isnull=True)
    if topic_slug:
        scope |= Q(topic__slug=topic_slug)
    return active_optouts(subscriber).filter(scope).exists()


def profile_fields(payload: dict[str, Any]) -> ProfileFields:
    """The profile fields an outbox payload carries."""
    return ProfileFields(**{name: payload[name] for name in PROFILE_FIELD_NAMES if name in payload})


def remember_pkey(subscriber: Subscriber, pkey: str) -> None:
    """Cache Campaign's key for the person (server-side only, never in a link)."""
    if pkey != subscriber.campaign_pkey:
        Subscriber.objects.filter(pk=subscriber.pk).update(campaign_pkey=pkey)
        subscriber.campaign_pkey = pkey


def resolve_pkey(subscriber: Subscriber, *, refresh: bool = False) -> str:
    """Campaign's key for the person: cached, or found again by email."""
    if subscriber.campaign_pkey and not refresh:
        return subscriber.campaign_pkey
    profile = get_backend().find_profile(subscriber.email)
    if profile is None:
        raise ProfileNotFound("No profile with the subscriber's address")
    remember_pkey(subscriber, profile.pkey)
    return profile.pkey


def _with_profile(subscriber: Subscriber, action: Callable[[str], None]) -> None:
    """Run `action(pkey)`; if Campaign no longer knows the cached key, re-resolve once.

    A person who never confirmed has no profile to change: their opt-out,
    undo or new name (from the links in the confirmation email) is kept by the
    site, and a confirmation later creates the profile from what the site
    holds then. There is nothing to deliver, so the change is done.
    """
    try:
        action(resolve_pkey(subscriber))
    except ProfileNotFound:
        if subscriber.campaign_pkey:
            action(resolve_pkey(subscriber, refresh=True))
        elif subscriber.status == Subscriber.Status.CONFIRMED:
            raise
        else:
            logger.info("subscriber %s never confirmed: no Campaign profile to change", subscriber.pk)


def _update_profile(subscriber: Subscriber, pkey: str, fields: ProfileFields) -> None:
    """Update the profile; keep its new key if the change gave it one (v8 keys
    profiles by address, so an address change re-keys them)."""
    new_pkey = get_backend().update_profile(pkey, fields)
    if new_pkey:
        remember_pkey(subscriber, new_pkey)


def _sync_profile(subscriber: Subscriber, wanted: ProfileFields) -> str | None:
    """Find the person's profile (cached key, then email) or create it; then
    bring it up to date. Safe to repeat: a retry finds what a crash created.

    Answers the PKey when this call created the profile (it has no
    subscriptions yet), else None. Where a create is an upsert by address
    (v8), the one upsert is the whole sync: no lookup first.
    """
    backend = get_backend()
    if (
        backend.upserts_profiles
        and wanted.email == subscriber.email
        and subscriber.campaign_pkey in ("", subscriber.email)
    ):
        remember_pkey(subscriber, backend.create_profile(wanted).pkey)
        return None  # created or updated: an upsert does not say which
    profile = None
    if subscriber.campaign_pkey:
        try:
            profile = backend.get_profile(subscriber.campaign_pkey)
        except ProfileNotFound:
            profile = None
    if profile is None:
        profile = backend.find_profile(subscriber.email)
    created = profile is None
    if profile is None:
        profile = backend.create_profile(wanted)
    else:
        differences = {
            name: value
            for name, value in wanted.changed().items()
            if name != "email" and getattr(profile, name) != value
        }
        if differences:
            backend.update_profile(profile.pkey, ProfileFields(**differences))  # type: ignore[arg-type]
    remember_pkey(subscriber, profile.pkey)
    return profile.pkey if created else None


def _expect_no_subscriptions(change: Change, pkey: str) -> None:
    """Tell the person's subscribe changes queued behind this sync that the
    profile `pkey` was just created, so has no subscriptions to read first.

    Kept in their payloads, so it holds whichever worker delivers them, and
    only for that key: should the person be found again under another
    profile, the subscribe reads that one's subscriptions as usual. Nothing
    else is assumed: the subscribe still POSTs, and a duplicate (another
    worker, a retry) is recognised as subscribed.
    """
    later = Change.objects.filter(
        subscriber=change.subscriber_id,
        kind=Change.Kind.SUBSCRIBE,
        status=Change.Status.PENDING,
        id__gt=change.pk,
    )
    for subscribe in later:
        subscribe.payload = {**subscribe.payload, NEW_PROFILE: pkey}
        subscribe.save(update_fields=["payload"])


def _subscribe(pkey: str, payload: dict[str, Any]) -> None:
    backend = get_backend()
    if payload.get(NEW_PROFILE) == pkey:
        backend.subscribe_new_profile(pkey, payload["service"])
    else:
        backend.subscribe(pkey, payload["service"])


def _send_message(change: Change) -> None:
    payload = change.payload
    # An opt-out is honoured by the site at once, whatever Campaign says.
    if is_suppressed(change.subscriber, payload.get("topic")):
        logger.info("change %s not sent: the person opted out", change.pk)
        return
    get_backend().send_message(
        Message(
            name=payload["message"],
            email=payload["email"],
            language=payload.get("language", "en"),
            context=payload.get("context", {}),
        )
    )


def apply(change: Change) -> None:
    """Deliver one change; raises a `CampaignError` when Campaign did not take it."""
    backend = get_backend()
    subscriber, payload = change.subscriber, change.payload
    match change.kind:
        case Change.Kind.SYNC_PROFILE:
            if created := _sync_profile(subscriber, profile_fields(payload)):
                _expect_no_subscriptions(change, created)
        case Change.Kind.UPDATE_PROFILE:
            fields = profile_fields(payload)
            _with_profile(subscriber, lambda pkey: _update_profile(subscriber, pkey, fields))
        case Change.Kind.SUBSCRIBE:
            _with_profile(subscriber, lambda pkey: _subscribe(pkey, payload))
        case Change.Kind.UNSUBSCRIBE:
            _with_profile(subscriber, lambda pkey: backend.unsubscribe(pkey, payload["service"]))
        case Change.Kind.SEND_MESSAGE:
            _send_message(change)
        case Change.Kind.SITE_EMAIL:
            send_site_email(payload["template"], payload["email"], payload["language"], payload["context"])
        case Change.Kind.ERASE_PROFILE:
            deliver_erasure(change)
        case _:
            raise CampaignRejected(f"Unknown change kind {change.kind!r}")
