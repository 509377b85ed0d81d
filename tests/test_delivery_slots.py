"""A worker's delivery slots: N changes on their way to Campaign at once,
never two of one person, in each person's order; a slot that crashes puts
its claim back. Threads meet at barriers and events, never at a clock: on a
wrong answer a barrier breaks (its timeout is the test's safety net, never
what is measured) and the change fails, which the assertions then see.

The slots use connections of their own, so these tests commit
(`transaction=True`); the suite runs them on SQLite and on PostgreSQL.
"""

import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from signup_site.campaign import outbox
from signup_site.campaign.addresses import person_key
from signup_site.campaign.errors import CampaignUnavailable
from signup_site.campaign.models import Change, InboundRequest, Subscriber

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough for any machine; only reached when the code under test is wrong.
SAFETY_NET_SECONDS = 20


def person(email: str) -> Subscriber:
    return Subscriber.objects.create(
        email=email,
        person_key=person_key(email),
        status=Subscriber.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )


def queue(subscriber: Subscriber, count: int = 1) -> list[Change]:
    return [
        Change.objects.create(
            subscriber=subscriber,
            kind=Change.Kind.SEND_MESSAGE,
            payload={"message": "welcome", "email": subscriber.email, "n": n},
        )
        for n in range(count)
    ]


def statuses(changes: "QuerySet[Change]") -> list[str]:
    return list(changes.order_by("id").values_list("status", flat=True))


class InFlight:
    """A stand-in for `delivery.apply` that keeps count of who is in flight."""

    def __init__(self, hold: Callable[[Change], object]) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.now: dict[str, int] = defaultdict(int)
        self.most_at_once: dict[str, int] = defaultdict(int)
        self.delivered: list[tuple[str, int]] = []

    def __call__(self, change: Change) -> None:
        email = change.subscriber.email
        with self.lock:
            self.now[email] += 1
            self.most_at_once[email] = max(self.most_at_once[email], self.now[email])
        try:
            self.hold(change)
        finally:
            with self.lock:
                self.now[email] -= 1
                self.delivered.append((email, change.payload["n"]))


@pytest.fixture
def apply(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[Change], object]], InFlight]]:
    def install(hold: Callable[[Change], object]) -> InFlight:
        stand_in = InFlight(hold)
        monkeypatch.setattr(outbox.delivery, "apply", stand_in)
        return stand_in

    yield install


@pytest.mark.parametrize("slots", [2, 4, 16])
def test_n_slots_have_n_changes_of_different_people_in_flight_at_once(
    apply: Callable[[Callable[[Change], object]], InFlight], slots: int
) -> None:
    for number in range(slots):
        queue(person(f"p{number}@example.com"))
    # Each delivery waits until all N are in flight: fewer slots break the barrier.
    barrier = threading.Barrier(slots, timeout=SAFETY_NET_SECONDS)
    apply(lambda change: barrier.wait())

    assert outbox.deliver_all(slots=slots) == slots

    assert statuses(Change.objects.all()) == [Change.Status.DONE] * slots
    assert not barrier.broken


def test_the_setting_gives_the_number_of_slots(
    apply: Callable[[Callable[[Change], object]], InFlight], settings: pytest.FixtureRequest
) -> None:
    settings.OUTBOX_DELIVERY_SLOTS = 3  # type: ignore[attr-defined]
    for number in range(3):
        queue(person(f"p{number}@example.com"))
    barrier = threading.Barrier(3, timeout=SAFETY_NET_SECONDS)
    apply(lambda change: barrier.wait())

    outbox.deliver_all()

    assert statuses(Change.objects.all()) == [Change.Status.DONE] * 3


def test_one_persons_changes_are_never_in_flight_together_and_arrive_in_order(
    apply: Callable[[Callable[[Change], object]], InFlight],
) -> None:
    queue(person("many@example.com"), 3)
    for other in ("b@example.com", "c@example.com"):
        queue(person(other))
    others_started = threading.Barrier(3, timeout=SAFETY_NET_SECONDS)

    def hold(change: Change) -> None:
        # The first change of many@ is held until both others are in flight:
        # two slots are then busy with others and one is free, and that free
        # slot must not take many@'s second change meanwhile.
        if change.subscriber.email != "many@example.com" or change.payload["n"] == 0:
            others_started.wait()

    stand_in = apply(hold)

    outbox.deliver_all(slots=4)

    assert statuses(Change.objects.all()) == [Change.Status.DONE] * 5
    assert stand_in.most_at_once["many@example.com"] == 1
    assert [n for email, n in stand_in.delivered if email == "many@example.com"] == [0, 1, 2]


def test_a_failed_change_holds_back_that_persons_later_ones_in_every_slot(
    apply: Callable[[Callable[[Change], object]], InFlight],
) -> None:
    first, *_later = queue(person("held@example.com"), 3)
    queue(person("free@example.com"))

    def hold(change: Change) -> None:
        if change.pk == first.pk:
            raise CampaignUnavailable("down")

    stand_in = apply(hold)

    outbox.deliver_all(slots=4)

    # Tried once each: held@'s later changes wait behind its failed first one.
    assert sorted(email for email, _n in stand_in.delivered) == ["free@example.com", "held@example.com"]
    assert (
        statuses(Change.objects.filter(subscriber__email="held@example.com")) == [Change.Status.PENDING] * 3
    )


def test_a_slot_with_a_stale_list_cannot_claim_a_change_put_back_for_later() -> None:
    """Slot B read the due list while slot A held the change; A's delivery
    failed and put it back, pending, for later. B's claim must see that it
    is no longer due (else it is tried again at once, ignoring the backoff:
    seen as a flaky double attempt under load)."""
    change = queue(person("later@example.com"))[0]
    now = timezone.now()
    stale_list = [change.pk]  # what slot B read before A claimed it
    Change.objects.filter(pk=change.pk).update(next_attempt_at=now + timedelta(seconds=30))
    assert outbox._claim_first(Change, stale_list, now) is None
    assert Change.objects.get(pk=change.pk).status == Change.Status.PENDING


class SlotCrash(Exception):
    """What escapes a slot mid-delivery: the database gone while recording
    the outcome, say."""


def test_a_slot_that_crashes_puts_its_claim_back_for_another_slot(
    apply: Callable[[Callable[[Change], object]], InFlight], monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing = queue(person("crash@example.com"))[0]
    for number in range(3):
        queue(person(f"p{number}@example.com"))
    crashed = threading.Event()
    record_outcome = outbox._deliver

    def deliver(change: Change) -> None:
        if change.pk == crashing.pk and not crashed.is_set():
            crashed.set()
            raise SlotCrash
        record_outcome(change)

    monkeypatch.setattr(outbox, "_deliver", deliver)
    apply(lambda change: None)

    outbox.deliver_all(slots=2)

    assert crashed.is_set()
    # Put back at once and delivered by a slot still alive, in the same pass.
    assert statuses(Change.objects.all()) == [Change.Status.DONE] * 4
    assert Change.objects.get(pk=crashing.pk).attempts == 2


def test_a_crash_in_the_only_slot_leaves_the_change_pending_not_claimed(
    apply: Callable[[Callable[[Change], object]], InFlight], monkeypatch: pytest.MonkeyPatch
) -> None:
    change = queue(person("crash@example.com"))[0]

    def crash(change: Change) -> None:
        raise SlotCrash

    monkeypatch.setattr(outbox, "_deliver", crash)

    with pytest.raises(SlotCrash):
        outbox.deliver_one()

    change.refresh_from_db()
    assert (change.status, change.claimed_at) == (Change.Status.PENDING, None)


def test_a_request_taken_in_is_not_claimed_while_an_older_one_of_that_address_is() -> None:
    # At the claim itself: on SQLite the handlers' transactions take turns
    # anyway, on PostgreSQL two slots would act on one address at once.
    first, second = (
        InboundRequest.objects.create(kind="test", email="twice@example.com", payload={"n": n})
        for n in range(2)
    )
    other = InboundRequest.objects.create(kind="test", email="other@example.com", payload={})
    now = timezone.now()

    claimed = [outbox._claim_inbound(now) for _ in range(3)]

    assert [taken.pk if taken else None for taken in claimed] == [first.pk, other.pk, None]
    InboundRequest.objects.filter(pk=first.pk).delete()  # acted on
    assert getattr(outbox._claim_inbound(now), "pk", None) == second.pk


def test_the_worker_command_delivers_in_the_slots_its_flag_asks_for(
    apply: Callable[[Callable[[Change], object]], InFlight], settings: pytest.FixtureRequest
) -> None:
    settings.OUTBOX_DELIVERY_SLOTS = 1  # type: ignore[attr-defined]
    with transaction.atomic():  # one wake-up, enqueued as it commits
        for number in range(3):
            outbox.record(person(f"p{number}@example.com"), Change.Kind.SEND_MESSAGE, message="welcome", n=0)
    barrier = threading.Barrier(3, timeout=SAFETY_NET_SECONDS)
    apply(lambda change: barrier.wait())

    call_command("worker", "--slots", "3", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert statuses(Change.objects.all()) == [Change.Status.DONE] * 3
    assert not barrier.broken


def test_the_worker_refuses_a_number_of_slots_below_one() -> None:
    with pytest.raises(CommandError):
        call_command("worker", "--slots", "0")


def test_a_pass_asks_for_requests_taken_in_once_not_before_every_change(
    django_assert_max_num_queries: DjangoAssertNumQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One slot, ten changes of ten people, Campaign's side stubbed out: what
    # is counted is the outbox's own queries (claim, read, mark done), and a
    # look for requests taken in before each change would add ten.
    monkeypatch.setattr("signup_site.campaign.delivery.apply", lambda change: None)
    for n in range(10):
        queue(person(f"q{n}@example.com"))
    per_change = 4  # the due ids, the conditional claim, the row, marking it done
    once_per_pass = 2 + 1 + 1  # stale claims put back, requests taken in, the empty last claim
    with django_assert_max_num_queries(10 * per_change + once_per_pass):
        assert outbox.deliver_all(slots=1) == 10
    assert statuses(Change.objects.all()) == [Change.Status.DONE] * 10


@pytest.mark.parametrize(("flag", "setting", "expected"), [(["--nice", "7"], "0", 7), ([], "5", 5)])
def test_the_worker_yields_the_cpu_at_the_niceness_it_is_asked_for(
    tmp_path: Path, flag: list[str], setting: str, expected: int
) -> None:
    """On a machine it shares with the web server, the worker runs at a lower
    priority (`--nice`, else OUTBOX_WORKER_NICE), so a burst's pages are
    answered first and the outbox drains in the time they leave."""
    from tests.helpers import wait_until

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "OUTBOX_WORKER_NICE": setting, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "manage.py", "worker", *flag, "--interval", "0.2", "--no-startup-delay"]
    worker = subprocess.Popen(
        [*command, "--no-reload"], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        start = os.getpriority(os.PRIO_PROCESS, os.getpid())
        wait_until(
            lambda: os.getpriority(os.PRIO_PROCESS, worker.pid) == max(start, expected), "the niceness"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_the_worker_refuses_a_niceness_outside_0_to_19() -> None:
    with pytest.raises(CommandError):
        call_command("worker", "--nice", "20")


def test_a_slot_busy_with_changes_asks_for_requests_taken_in_once_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sign-up taken in while a slot works through a long stream of changes
    (Campaign slow, the pages queueing more) is acted on within about a second
    of the slot's time, not when the whole pass ends."""
    from signup_site.campaign import slots

    clock = [0.0]
    order: list[str] = []
    monkeypatch.setattr(slots, "monotonic", lambda: clock[0], raising=False)

    def apply(change: Change) -> None:
        if not order:  # taken in after the slot moved on to the changes
            InboundRequest.objects.create(
                kind=InboundRequest.Kind.SIGNUP, email="late@example.com", payload={}
            )
        order.append(f"change {change.payload['n']}")
        clock[0] += 0.6  # each change takes 0.6 s of the slot's time

    monkeypatch.setattr("signup_site.campaign.delivery.apply", apply)
    monkeypatch.setitem(
        outbox._inbound_handlers, InboundRequest.Kind.SIGNUP, lambda taken: order.append("request")
    )
    for n in range(10):
        outbox.record(person(f"s{n}@example.com"), Change.Kind.SEND_MESSAGE, message="welcome", n=n)

    assert outbox.deliver_all(slots=1) == 11
    assert order.index("request") <= 3, order  # within about a second: after change 0 and 1 (1.2 s)


def test_the_workers_drain_waits_for_a_change_due_within_seconds_and_not_longer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change held for a 429's Retry-After (a second, say) is delivered by
    the drain already running, not after another wake-up and poll; one due
    in minutes ends the drain (the task's wake-up brings it)."""
    monkeypatch.setattr("signup_site.campaign.delivery.apply", lambda change: None)
    soon, later = queue(person("soon@example.com"))[0], queue(person("later@example.com"))[0]
    Change.objects.filter(pk=soon.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=0.3))
    Change.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert outbox.deliver_all(slots=1) == 0  # not due yet: a plain pass ends at once
    assert outbox.deliver_all(slots=1, linger=True) == 1
    assert statuses(Change.objects.filter(pk__in=[soon.pk, later.pk])) == [
        Change.Status.DONE,
        Change.Status.PENDING,
    ]


def test_the_worker_task_lingers_and_a_direct_pass_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def deliver_all(linger: bool = False) -> int:
        calls.append(linger)
        return 0

    monkeypatch.setattr(outbox, "deliver_all", deliver_all)
    monkeypatch.setattr("signup_site.campaign.fanout.spread_wake_up", lambda task, slots: False)
    outbox.deliver_changes.call()
    assert calls == [True]


def test_a_drain_waits_for_changes_due_soon_only_while_it_is_young(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker asked to stop lets its drain finish: one that always found a
    change due within seconds (Campaign down, retries coming round) would
    never finish, so past LINGER_PASS_SECONDS a drain ends as before."""
    from signup_site.campaign import fanout

    monkeypatch.setattr("signup_site.campaign.delivery.apply", lambda change: None)
    monkeypatch.setattr(fanout, "LINGER_PASS_SECONDS", 0.0, raising=False)
    soon = queue(person("soon@example.com"))[0]
    Change.objects.filter(pk=soon.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=0.3))

    assert outbox.deliver_all(slots=1, linger=True) == 0
