"""The transactional outbox: the queue of changes on their way to Campaign.

`record()` writes a change in the caller's transaction and makes sure a worker
wakes once that transaction commits (one wake-up per transaction, however many
changes it records). The worker's task, `deliver_changes`, drains what is due:
`deliver_one()` claims the oldest due change whose person has nothing older
still on its way, hands it to `delivery.apply`, and records the outcome.
Failures are rows (attempts, last error, next attempt), not log lines:
transient ones come back with capped exponential backoff and jitter,
rejections are parked until someone retries them. `sweep()` is the safety net
under the task queue.

A worker delivers in `OUTBOX_DELIVERY_SLOTS` slots at once (threads, each with
its own database connection), so one slow Campaign answer does not hold up
everyone else's change. The claim keeps them apart: no two slots take the same
row, and a person's change is never claimed while an older one of theirs is
still on its way, so each person's changes reach Campaign in order.

The same worker first acts on the requests the public pages take in
(`take_in()`: a sign-up, an "email me my link"): the page answers before any
lookup, and `take_in_one()` runs the journey's handler for the request
(registered by the app, `handle_inbound`), then deletes it; a request that
failed stays, with its error, and comes back with the same backoff.
"""

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.tasks import task
from django.utils import timezone

from . import delivery, fanout
from .config import campaign_config
from .errors import (
    CampaignAuthError,
    CampaignError,
    CampaignMisconfigured,
    CampaignPending,
    CampaignRejected,
    CampaignThrottled,
    CampaignUnavailable,
    ProfileNotFound,
)
from .models import Change, InboundRequest, Subscriber
from .slots import run_in_slots

logger = logging.getLogger(__name__)

# How many due changes one claim looks at before giving up to a busier worker.
CLAIM_WINDOW = 20

type InboundHandler = Callable[[InboundRequest], None]
# What acts on each kind of request the pages take in; the campaign app
# registers the journeys' handlers when it is ready (they use this module).
_inbound_handlers: dict[str, InboundHandler] = {}


def record(subscriber: Subscriber, kind: Change.Kind, **payload: Any) -> Change:
    """Queue a change for Campaign; call inside the transaction that caused it."""
    change = Change.objects.create(subscriber=subscriber, kind=kind, payload=payload)
    wake_worker()
    return change


def take_in(kind: InboundRequest.Kind, email: str, **payload: Any) -> InboundRequest:
    """Record a request a page answers before any lookup; the worker acts on
    it. Call inside the request's transaction: the worker wakes when it commits."""
    taken = InboundRequest.objects.create(kind=kind, email=email, payload=payload)
    wake_worker()
    return taken


def handle_inbound(kind: InboundRequest.Kind, handler: InboundHandler) -> None:
    """Have the worker act on requests of this kind with `handler(request)`,
    run in the transaction that then deletes the request."""
    _inbound_handlers[kind] = handler


@task
def deliver_changes() -> int:
    """The worker's task (`manage.py worker`): deliver every due change,
    with other worker processes called in for a backlog (see `fanout`), and
    waiting for what comes due soon rather than ending (`fanout.due_soon`)."""
    fanout.spread_wake_up(deliver_changes, campaign_config().outbox.delivery_slots)
    return deliver_all(linger=True)


def _enqueue_now() -> None:
    deliver_changes.enqueue()


def _enqueued() -> None:
    """Marks a transaction whose wake-up is a task row already in it."""


def wake_worker(at: datetime | None = None) -> None:
    """Wake a worker once the current transaction commits (at `at`, if given).

    An immediate wake-up is registered once per transaction: a confirmation
    that records six changes enqueues one task, and that task drains all six.
    On the database task backend the task is a row written in the transaction
    itself, committed with what it is to act on: a sign-up is one commit,
    not two (issue 15).
    """
    if at is not None:
        transaction.on_commit(deliver_changes.using(run_after=at).enqueue)
        return
    connection = transaction.get_connection()
    # Django drops the callbacks of a rolled-back savepoint from this list
    # (and the savepoint's rows with them), so a wake-up found here is one
    # that will run.
    if connection.in_atomic_block and any(
        callback in (_enqueue_now, _enqueued) for _savepoints, callback, _robust in connection.run_on_commit
    ):
        return
    if connection.in_atomic_block and fanout.in_this_database(deliver_changes):
        deliver_changes.enqueue()
        transaction.on_commit(_enqueued)
        return
    transaction.on_commit(_enqueue_now)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait: capped exponential with jitter, never less than Retry-After."""
    retries = campaign_config().outbox
    ceiling = min(retries.retry_max_seconds, retries.retry_base_seconds * 2 ** max(attempts - 1, 0))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0)


def release_stale_claims(now: datetime | None = None) -> int:
    """Put back changes claimed by a worker that died before finishing them."""
    now = now or timezone.now()
    # A claim older than this belongs to a worker that died mid-delivery: one
    # delivery is a few requests with timeouts of seconds.
    stale = timedelta(seconds=campaign_config().outbox.claim_timeout_seconds)
    requests = InboundRequest.objects.filter(
        status=InboundRequest.Status.IN_PROGRESS, claimed_at__lt=now - stale
    ).update(status=InboundRequest.Status.PENDING, claimed_at=None)
    changes = Change.objects.filter(status=Change.Status.IN_PROGRESS, claimed_at__lt=now - stale).update(
        status=Change.Status.PENDING, claimed_at=None
    )
    return requests + changes


def _claim_inbound(now: datetime) -> InboundRequest | None:
    # As for changes: one address's requests are acted on one at a time, in order.
    earlier_unfinished = InboundRequest.objects.filter(
        email=OuterRef("email"),
        id__lt=OuterRef("id"),
        status__in=(InboundRequest.Status.PENDING, InboundRequest.Status.IN_PROGRESS),
    )
    due = (
        InboundRequest.objects.filter(status=InboundRequest.Status.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier_unfinished))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    request_id = _claim_first(InboundRequest, due, now)
    return InboundRequest.objects.get(id=request_id) if request_id else None


def _claim_first(model: type[Change] | type[InboundRequest], due: Any, now: datetime) -> int | None:
    """Claim the first row of `due` (ids, in order) still pending; its id.

    A conditional update is the claim: of several workers, one wins. It
    checks the row is still due, too: a row another slot tried and put back
    for later since `due` was read is pending again, but not due."""
    for row_id in due[:CLAIM_WINDOW]:
        claimed = model.objects.filter(
            id=row_id, status=model.Status.PENDING, next_attempt_at__lte=now
        ).update(status=model.Status.IN_PROGRESS, claimed_at=now, attempts=F("attempts") + 1)
        if claimed:
            return int(row_id)
    return None


def take_in_one(now: datetime | None = None) -> bool:
    """Act on one request the pages took in. False when none is due.

    The handler's work and the request's deletion are one transaction: a
    crash part-way leaves the request, claimed, for `release_stale_claims`.
    """
    now = now or timezone.now()
    taken = _claim_inbound(now)
    if taken is None:
        return False
    with _released_on_crash(InboundRequest, taken.pk):
        _act_on(taken)
    return True


def _act_on(taken: InboundRequest) -> None:
    try:
        with transaction.atomic():
            _inbound_handlers[taken.kind](taken)
            InboundRequest.objects.filter(id=taken.pk).delete()
    except Exception as exc:
        # Kept, to be tried again; the log names the row, never the address
        # (a database error's message may quote it).
        logger.error("request %s failed unexpectedly: %s", taken.pk, type(exc).__name__)
        when = timezone.now() + timedelta(seconds=backoff(taken.attempts))
        InboundRequest.objects.filter(id=taken.pk).update(
            status=InboundRequest.Status.PENDING,
            next_attempt_at=when,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            claimed_at=None,
        )
        with transaction.atomic():
            wake_worker(when)


@contextmanager
def _released_on_crash(model: type[Change] | type[InboundRequest], row_id: int) -> Iterator[None]:
    """Put a claimed row back (pending, unclaimed) if its slot dies handling
    it, rather than leave it to `release_stale_claims` minutes later."""
    try:
        yield
    except BaseException:
        model.objects.filter(id=row_id, status=model.Status.IN_PROGRESS).update(
            status=model.Status.PENDING, claimed_at=None
        )
        raise


def _claim_next(now: datetime) -> Change | None:
    earlier_unfinished = Change.objects.filter(
        subscriber=OuterRef("subscriber"), id__lt=OuterRef("id"), status__in=Change.UNFINISHED
    )
    due = (
        Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier_unfinished))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    change_id = _claim_first(Change, due, now)
    return Change.objects.select_related("subscriber").get(id=change_id) if change_id else None


def deliver_one(now: datetime | None = None) -> bool:
    """Deliver one due change. False when nothing is due."""
    now = now or timezone.now()
    change = _claim_next(now)
    if change is None:
        return False
    with _released_on_crash(Change, change.pk):
        _deliver(change)
    return True


def _deliver(change: Change) -> None:
    try:
        delivery.apply(change)
    except CampaignError as exc:
        _record_failure(change, exc)
    except Exception as exc:
        # A bug must not lose the change: keep it, visible, and retry later.
        logger.exception("change %s failed unexpectedly", change.pk)
        _record_failure(
            change,
            CampaignError(f"Unexpected {type(exc).__name__}"),
            retryable=True,
            failure=Change.Failure.UNEXPECTED,
        )
    else:
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.DONE, delivered_at=timezone.now(), last_error="", failure=""
        )


def deliver_all(limit: int = 10_000, slots: int | None = None, *, linger: bool = False) -> int:
    """Act on the requests taken in, then deliver everything that is due now
    (what those requests queue included), in `slots` at once (default:
    OUTBOX_DELIVERY_SLOTS); the number of steps attempted. With `linger`,
    also what comes due within `fanout.LINGER_SECONDS` of running out.

    Called inside a transaction, it works in that one slot alone: other
    connections could not see what the transaction has not committed.
    """
    release_stale_claims()
    slots = 1 if connection.in_atomic_block else slots or campaign_config().outbox.delivery_slots
    return run_in_slots(
        deliver_one, slots, limit, first=take_in_one, soon=fanout.lingering() if linger else None
    )


def sweep(now: datetime | None = None) -> int:
    """The safety net under the task queue: put back the changes of workers
    that died mid-delivery, and wake a worker if anything is due. A task lost
    with its worker (django-tasks-db leaves a SIGKILLed task "running" for
    ever) thus delays delivery by one sweep interval, never for ever.

    Returns how many changes and requests taken in are due now.
    """
    now = now or timezone.now()
    release_stale_claims(now)
    due = Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lte=now).count()
    due += InboundRequest.objects.filter(
        status=InboundRequest.Status.PENDING, next_attempt_at__lte=now
    ).count()
    if due:
        with transaction.atomic():
            wake_worker()
    return due


def failure_of(exc: CampaignError) -> Change.Failure:
    """What a failed attempt means, as the admin and /healthz show it."""
    for kind, failure in (
        (CampaignMisconfigured, Change.Failure.MISCONFIGURED),
        (CampaignAuthError, Change.Failure.AUTH),
        (CampaignUnavailable, Change.Failure.UNAVAILABLE),
        (CampaignRejected | ProfileNotFound, Change.Failure.REJECTED),
    ):
        if isinstance(exc, kind):
            return failure
    return Change.Failure.UNEXPECTED


def _hold_deliveries_to_campaign(until: datetime) -> None:
    """Credentials or configuration refused: every change bound for Campaign
    waits until `until` (an operator must act; asking again at once, one
    change after another, would only hammer IMS). The site's own emails
    do not depend on Campaign's credentials and go on."""
    Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lt=until).exclude(
        kind=Change.Kind.SITE_EMAIL
    ).update(next_attempt_at=until)


def _record_failure(
    change: Change,
    exc: CampaignError,
    *,
    retryable: bool | None = None,
    failure: Change.Failure | None = None,
) -> None:
    if isinstance(exc, CampaignPending):
        _ask_again(change, exc)
        return
    retryable = exc.retryable if retryable is None else retryable
    failure = failure or failure_of(exc)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if retryable:
        delay = backoff(change.attempts, exc.retry_after)
        throttled = isinstance(exc, CampaignThrottled) and exc.retry_after is not None
        if throttled:
            # Up, but refusing the pace: back when Campaign says, spread a
            # little so that the throttled changes do not all return at once.
            assert exc.retry_after is not None
            delay = exc.retry_after + random.uniform(0, min(exc.retry_after / 4, 5))
        if failure in Change.OPERATOR_FAILURES:
            delay = max(delay, campaign_config().outbox.operator_retry_seconds)
        when = timezone.now() + timedelta(seconds=delay)
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.PENDING,
            next_attempt_at=when,
            last_error=error,
            failure=failure,
            claimed_at=None,
        )
        if failure in Change.OPERATOR_FAILURES and change.kind != Change.Kind.SITE_EMAIL:
            _hold_deliveries_to_campaign(when)
        elif throttled and change.kind != Change.Kind.SITE_EMAIL:
            # The pace is Campaign's for every change, not this one's: the
            # others wait out the same Retry-After rather than each be tried
            # and refused in turn (in a burst, more attempts went to 429s than
            # to deliveries). One statement, for every worker process.
            assert exc.retry_after is not None
            _hold_deliveries_to_campaign(timezone.now() + timedelta(seconds=exc.retry_after))
        with transaction.atomic():
            wake_worker(when)
        logger.warning("change %s will be retried: %s", change.pk, type(exc).__name__)
    else:
        Change.objects.filter(id=change.pk).update(
            status=Change.Status.PARKED, last_error=error, failure=failure, claimed_at=None
        )
        logger.error("change %s was rejected and is parked: %s", change.pk, type(exc).__name__)


def _ask_again(change: Change, exc: CampaignPending) -> None:
    """Campaign is still working on it (an erasure): not a failure, so no
    error and no backoff; the change comes back after the delay Campaign's
    pace asks for."""
    when = timezone.now() + timedelta(seconds=exc.retry_after or campaign_config().outbox.retry_max_seconds)
    Change.objects.filter(id=change.pk).update(
        status=Change.Status.PENDING,
        next_attempt_at=when,
        last_error=str(exc)[:2000],
        failure="",
        claimed_at=None,
    )
    with transaction.atomic():
        wake_worker(when)
