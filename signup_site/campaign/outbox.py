"""The transactional outbox and its delivery worker.

`record()` writes a change in the caller's transaction; `deliver_one()` is one
step of the worker: it claims the oldest due change whose person has nothing
older still on its way, applies it through the backend, and records the
outcome. Failures are rows (attempts, last error, next attempt), not log lines.
"""

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .backends import get_backend
from .backends.base import Message, ProfileFields
from .errors import CampaignError, CampaignRejected, ProfileNotFound
from .mail import send_site_email
from .models import Change, Subscriber
from .optouts import is_suppressed

logger = logging.getLogger(__name__)

UNFINISHED = (Change.Status.PENDING, Change.Status.IN_PROGRESS)


def record(subscriber: Subscriber, kind: Change.Kind, **payload: Any) -> Change:
    """Queue a change for Campaign; call inside the transaction that caused it."""
    change = Change.objects.create(subscriber=subscriber, kind=kind, payload=payload)
    schedule_delivery()
    return change


def schedule_delivery(at: datetime | None = None) -> None:
    """Wake the worker once the current transaction commits."""
    from .tasks import deliver_changes

    task = deliver_changes.using(run_after=at) if at else deliver_changes
    transaction.on_commit(task.enqueue)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait: capped exponential with jitter, never less than Retry-After."""
    ceiling = min(
        settings.CAMPAIGN_RETRY_MAX_SECONDS,
        settings.CAMPAIGN_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0)


def release_stale_claims(now: datetime | None = None) -> int:
    """Put back changes claimed by a worker that died before finishing them."""
    now = now or timezone.now()
    # A claim older than this belongs to a worker that died mid-delivery: one
    # delivery is a few requests with timeouts of seconds.
    stale = timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    return Change.objects.filter(status=Change.Status.IN_PROGRESS, claimed_at__lt=now - stale).update(
        status=Change.Status.PENDING, claimed_at=None
    )


def _claim_next(now: datetime) -> Change | None:
    earlier_unfinished = Change.objects.filter(
        subscriber=OuterRef("subscriber"), id__lt=OuterRef("id"), status__in=UNFINISHED
    )
    due = (
        Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier_unfinished))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    for change_id in due[:20]:
        # A conditional update is the claim: of several workers, one wins.
        claimed = Change.objects.filter(id=change_id, status=Change.Status.PENDING).update(
            status=Change.Status.IN_PROGRESS, claimed_at=now, attempts=F("attempts") + 1
        )
        if claimed:
            return Change.objects.select_related("subscriber").get(id=change_id)
    return None


def deliver_one(now: datetime | None = None) -> bool:
    """Deliver one due change. False when nothing is due."""
    now = now or timezone.now()
    change = _claim_next(now)
    if change is None:
        return False
    try:
        _apply(change)
    except CampaignError as exc:
        _record_failure(change, exc)
    except Exception as exc:
        # A bug must not lose the change: keep it, visible, and retry later.
        logger.exception("change %s failed unexpectedly", change.pk)
        _record_failure(change, CampaignError(f"Unexpected {type(exc).__name__}"), retryable=True)
    else:
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.DONE, delivered_at=timezone.now(), last_error=""
        )
    return True


def sweep(now: datetime | None = None) -> int:
    """The safety net under the task queue: put back the changes of workers
    that died mid-delivery, and wake a worker if anything is due. A task lost
    with its worker (django-tasks-db leaves a SIGKILLed task "running" for
    ever) thus delays delivery by one sweep interval, never for ever.

    Returns how many changes are due now.
    """
    now = now or timezone.now()
    release_stale_claims(now)
    due = Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lte=now).count()
    if due:
        with transaction.atomic():
            schedule_delivery()
    return due


def deliver_all(limit: int = 10_000) -> int:
    """Deliver everything that is due now; the number of changes attempted."""
    release_stale_claims()
    count = 0
    while count < limit and deliver_one():
        count += 1
    return count


def _record_failure(change: Change, exc: CampaignError, *, retryable: bool | None = None) -> None:
    retryable = exc.retryable if retryable is None else retryable
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if retryable:
        when = timezone.now() + timedelta(seconds=backoff(change.attempts, exc.retry_after))
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.PENDING, next_attempt_at=when, last_error=error, claimed_at=None
        )
        with transaction.atomic():
            schedule_delivery(when)
        logger.warning("change %s will be retried: %s", change.pk, type(exc).__name__)
    else:
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.PARKED, last_error=error, claimed_at=None
        )
        logger.error("change %s was rejected and is parked: %s", change.pk, type(exc).__name__)


def retry_parked(changes: "list[Change] | Any") -> int:
    """Send parked changes round again (the admin's retry action)."""
    ids = [c.pk for c in changes if c.status == Change.Status.PARKED]
    updated = Change.objects.filter(id__in=ids).update(
        status=Change.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
    )
    with transaction.atomic():
        schedule_delivery()
    return updated


def _profile_fields(payload: dict[str, Any]) -> ProfileFields:
    names = ("email", "first_name", "last_name", "language", "blacklist_email")
    return ProfileFields(**{name: payload[name] for name in names if name in payload})


def _resolve_pkey(subscriber: Subscriber, *, refresh: bool = False) -> str:
    """Campaign's key for the person: cached, or found again by email."""
    if subscriber.campaign_pkey and not refresh:
        return subscriber.campaign_pkey
    profile = get_backend().find_profile(subscriber.email)
    if profile is None:
        raise ProfileNotFound("No profile with the subscriber's address")
    Subscriber.objects.filter(pk=subscriber.pk).update(campaign_pkey=profile.pkey)
    subscriber.campaign_pkey = profile.pkey
    return profile.pkey


def _with_profile(subscriber: Subscriber, action: Any) -> None:
    """Run `action(pkey)`; if Campaign no longer knows the cached key, re-resolve once."""
    try:
        action(_resolve_pkey(subscriber))
    except ProfileNotFound:
        if not subscriber.campaign_pkey:
            raise
        action(_resolve_pkey(subscriber, refresh=True))


def _update_profile(subscriber: Subscriber, pkey: str, fields: ProfileFields) -> None:
    """Update the profile; keep its new key if the change gave it one (v8 keys
    profiles by address, so an address change re-keys them)."""
    new_pkey = get_backend().update_profile(pkey, fields)
    if new_pkey and new_pkey != pkey:
        Subscriber.objects.filter(pk=subscriber.pk).update(campaign_pkey=new_pkey)
        subscriber.campaign_pkey = new_pkey


def _sync_profile(subscriber: Subscriber, wanted: ProfileFields) -> None:
    """Find the person's profile (cached key, then email) or create it; then
    bring it up to date. Safe to repeat: a retry finds what a crash created."""
    backend = get_backend()
    profile = None
    if subscriber.campaign_pkey:
        try:
            profile = backend.get_profile(subscriber.campaign_pkey)
        except ProfileNotFound:
            profile = None
    if profile is None:
        profile = backend.find_profile(subscriber.email)
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
    Subscriber.objects.filter(pk=subscriber.pk).update(campaign_pkey=profile.pkey)


def _apply(change: Change) -> None:
    backend = get_backend()
    subscriber, payload = change.subscriber, change.payload
    match change.kind:
        case Change.Kind.SYNC_PROFILE:
            _sync_profile(subscriber, _profile_fields(payload))
        case Change.Kind.UPDATE_PROFILE:
            fields = _profile_fields(payload)
            _with_profile(subscriber, lambda pkey: _update_profile(subscriber, pkey, fields))
        case Change.Kind.SUBSCRIBE:
            _with_profile(subscriber, lambda pkey: backend.subscribe(pkey, payload["service"]))
        case Change.Kind.UNSUBSCRIBE:
            _with_profile(subscriber, lambda pkey: backend.unsubscribe(pkey, payload["service"]))
        case Change.Kind.SEND_MESSAGE:
            # An opt-out is honoured by the site at once, whatever Campaign says.
            if is_suppressed(subscriber, payload.get("topic")):
                logger.info("change %s not sent: the person opted out", change.pk)
                return
            backend.send_message(
                Message(
                    name=payload["message"],
                    email=payload["email"],
                    language=payload.get("language", "en"),
                    context=payload.get("context", {}),
                )
            )
        case Change.Kind.SITE_EMAIL:
            send_site_email(payload["template"], payload["email"], payload["language"], payload["context"])
        case _:
            raise CampaignRejected(f"Unknown change kind {change.kind!r}")
