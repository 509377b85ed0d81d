"""Nothing submitted is lost, nothing applied twice: the outbox against the
ACS emulator over real HTTP, with Campaign down, flaky, throttling, a worker
killed mid-delivery, and several worker processes at once.

Each test prints its figures (submitted, delivered, duplicated, time to
drain); `pytest -s tests/test_durability.py` shows them.
"""

import io
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.signals import request_started
from django.db import connection
from django.test import Client
from django.utils import timezone

from signup_site.campaign import outbox
from signup_site.campaign.models import Change, OptOut, PendingSignup, Subscriber, Topic
from signup_site.campaign.optouts import opt_out
from signup_site.web.links import site_links
from tests.acs_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    EVENTS,
    ORGANIZATION,
    TRANSACTIONAL_API,
    Emulator,
    resource,
)
from tests.acs_support import use_acs_emulator as point_at_emulator
from tests.helpers import database_url, make_due, path_of, run_worker, sign_up

ROOT = Path(__file__).resolve().parent.parent
# How long the emulator holds each Campaign call before acting on it: the
# window in which the worker is killed, its write already received.
HOLD_SECONDS = 3.0


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return point_at_emulator(live_server, settings)


def drain(rounds: int = 60) -> int:
    """Run the worker until nothing is left, letting backoff time pass between rounds."""
    for round_number in range(rounds):
        run_worker()
        if not Change.objects.filter(status__in=Change.UNFINISHED).exists():
            return round_number + 1
        make_due()
    raise AssertionError(f"not drained after {rounds} rounds")


def confirm_all(client: Client) -> list[float]:
    """Press "Confirm my sign-up" for every pending sign-up; the seconds each
    confirmation took."""
    seconds = []
    for signup in PendingSignup.objects.filter(confirmed_at__isnull=True):
        before = time.monotonic()
        response = client.post(path_of(site_links.confirm_url(signup)))
        seconds.append(time.monotonic() - before)
        assert response.status_code == 303  # to the result page (PRG)
    return seconds


def worker_env(live_server: Any, **extra: str) -> dict[str, str]:
    """The environment of a worker process pointed at the test database and
    the emulator."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CAMPAIGN_BACKEND": "acs",
        "ACS_API_URL": f"{live_server.url}/emulator/acs",
        "ACS_IMS_URL": f"{live_server.url}/emulator",
        "ACS_ORGANIZATION": ORGANIZATION,
        "ACS_TRANSACTIONAL_API": TRANSACTIONAL_API,
        "ACS_CLIENT_ID": CLIENT_ID,
        "ACS_CLIENT_SECRET": CLIENT_SECRET,
        "ACS_EVENTS": EVENTS,
        "SITE_URL": live_server.url,
        **extra,
    }


def start_worker(live_server: Any, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=worker_env(live_server, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def duplicates(emulator: Emulator) -> dict[str, int]:
    """Anything Campaign received twice that it should have received once."""
    state = emulator.state()
    found: dict[str, int] = {}
    for name, rows, key in (
        ("profiles", state["profiles"], lambda p: p["email"]),
        ("subscriptions", state["subscriptions"], lambda s: (s["email"], s["serviceName"])),
        ("events", state["events"], lambda e: (e["email"], e["eventId"])),
    ):
        counts = Counter(key(row) for row in rows)
        found[name] = sum(n - 1 for n in counts.values() if n > 1)
    return found


class Arrival:
    """When a call first reached the live server. Django's `request_started`
    fires before any view runs, so before the emulator holds the call for its
    latency; the emulator's log cannot show this, as it records a call once
    answered."""

    def __init__(self, call: str) -> None:
        self.call = call  # "METHOD resource", as `Emulator.calls()` names it
        self.at: float | None = None
        self.event = threading.Event()

    def __call__(self, sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        path = environ.get("PATH_INFO", "")
        call = f"{environ.get('REQUEST_METHOD')} {resource(path)}"
        if path.startswith("/emulator/acs/") and call == self.call and not self.event.is_set():
            # The whole body first: a worker killed while its body is still on
            # the way leaves a truncated request (a 400), not a write in flight.
            # The request is built after this signal, from this environ.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
            self.at = time.time()
            self.event.set()


@contextmanager
def arrival_of(call: str) -> Iterator[Arrival]:
    """Note when `call` first reaches the emulator, while in the block."""
    arrival = Arrival(call)
    request_started.connect(arrival, weak=False)
    try:
        yield arrival
    finally:
        request_started.disconnect(arrival)


def answered(emulator: Emulator, call: str, seconds: float) -> dict[str, Any]:
    """The emulator's log entry for `call` ("METHOD resource"), once it has answered it."""
    deadline = time.monotonic() + seconds
    while True:
        entries = [e for e in emulator.log("acs") if f"{e['method']} {resource(e['path'])}" == call]
        if entries:
            assert len(entries) == 1, entries
            return entries[0]
        assert time.monotonic() < deadline, f"Campaign never answered {call}"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_campaign_down_while_100_people_sign_up_loses_nothing(
    client: Client, emulator: Emulator, newsletter: Topic, offers: Topic, unlimited: None
) -> None:
    emulator.knobs(error_rate=1.0)  # every Campaign call answers 503
    request_seconds = []
    for i in range(100):
        topics = (newsletter, offers) if i % 2 else (newsletter,)
        before = time.monotonic()
        sign_up(client, f"person{i}@example.com", *topics, first_name=f"P{i}")
        request_seconds.append(time.monotonic() - before)
    run_worker()  # the confirmation emails are the site's own: they go out while Campaign is down
    assert len(mail.outbox) == 100
    request_seconds += confirm_all(client)
    assert len(request_seconds) == 200
    web_seconds = sum(request_seconds)
    slowest = max(request_seconds)  # of the 200 requests, each timed on its own

    # No web request waited on Campaign: nothing reached it while people clicked.
    assert emulator.calls() == []

    run_worker()  # Campaign is down: everything fails, and is kept
    assert Change.objects.filter(status=Change.Status.DONE, kind=Change.Kind.SYNC_PROFILE).count() == 0
    assert not Change.objects.filter(status=Change.Status.PARKED).exists()
    failed = Change.objects.filter(status=Change.Status.PENDING, attempts__gte=1)
    assert failed.exists() and all("CampaignUnavailable" in c.last_error for c in failed)

    emulator.knobs(error_rate=0.0)  # Campaign is back
    drain_started = time.monotonic()
    rounds = drain()
    drain_seconds = time.monotonic() - drain_started

    state = emulator.state()
    emails = Counter(profile["email"] for profile in state["profiles"])
    assert len(emails) == 100 and set(emails.values()) == {1}
    subscriptions = Counter(s["email"] for s in state["subscriptions"])
    assert all(subscriptions[f"person{i}@example.com"] == (2 if i % 2 else 1) for i in range(100))
    events = Counter(event["email"] for event in state["events"])
    assert len(events) == 100 and set(events.values()) == {1}
    assert duplicates(emulator) == {"profiles": 0, "subscriptions": 0, "events": 0}
    print(
        f"\n[campaign down] submitted: 100 sign-ups + 100 confirmations in {web_seconds:.2f}s "
        f"(median request {statistics.median(request_seconds) * 1000:.0f} ms, "
        f"slowest {slowest * 1000:.0f} ms); changes: {Change.objects.count()}; "
        f"delivered: {Change.objects.filter(status=Change.Status.DONE).count()}; duplicated: 0; "
        f"drained in {drain_seconds:.2f}s over {rounds} rounds"
    )


@pytest.mark.django_db(transaction=True)
def test_subscribe_then_unsubscribe_while_campaign_is_flaky_ends_unsubscribed(
    client: Client, emulator: Emulator, newsletter: Topic
) -> None:
    sign_up(client, "flaky@example.com", newsletter)
    run_worker()
    confirm_all(client)
    drain()
    subscriber = Subscriber.objects.get()
    assert emulator.subscriptions("flaky@example.com") == ["NEWSLETTER"]

    emulator.knobs(error_rate=0.5)
    for _ in range(5):
        opt_out(subscriber, newsletter, OptOut.Via.PAGE)
        OptOut.objects.update(ended_at=timezone.now())  # let the next opt-out record a new change
        outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="NEWSLETTER")
    opt_out(subscriber, newsletter, OptOut.Via.PAGE)
    rounds = drain(rounds=200)
    emulator.knobs(error_rate=0.0)

    assert emulator.subscriptions("flaky@example.com") == []
    retried = Change.objects.filter(attempts__gt=1).count()
    print(f"\n[flaky] 11 changes in order; {retried} needed retries; drained in {rounds} rounds")


@pytest.mark.django_db(transaction=True)
def test_a_storm_of_429s_is_waited_out_and_everything_delivered(
    client: Client, emulator: Emulator, newsletter: Topic, unlimited: None
) -> None:
    for i in range(10):
        sign_up(client, f"storm{i}@example.com", newsletter)
    run_worker()
    confirm_all(client)
    emulator.throttle(times=25, retry_after=30)

    attempted_at = timezone.now()
    run_worker()
    waiting = Change.objects.filter(status=Change.Status.PENDING, attempts__gte=1)
    assert waiting.exists()
    for change in waiting:
        assert "CampaignThrottled" in change.last_error  # a CampaignUnavailable: retried
        # Retry-After: 30 is honoured: no retry before 30 seconds have passed.
        assert (change.next_attempt_at - attempted_at).total_seconds() >= 29
    assert run_worker() == 0  # nothing is due yet: the worker waits

    rounds = drain()
    throttled = sum(1 for entry in emulator.log("acs") if entry.get("status") == 429)
    assert throttled == 25
    assert len({p["email"] for p in emulator.profiles()}) == 10
    assert duplicates(emulator) == {"profiles": 0, "subscriptions": 0, "events": 0}
    print(
        f"\n[429 storm] {throttled} answers 429 with Retry-After: 30; "
        f"all 10 sign-ups delivered in {rounds} rounds"
    )


@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_its_write_is_in_flight_delivers_once_after_recovery(
    client: Client, emulator: Emulator, newsletter: Topic, settings: Any, live_server: Any
) -> None:
    sign_up(client, "killed@example.com", newsletter)
    run_worker()  # the confirmation email
    confirm_all(client)
    emulator.knobs(latency=HOLD_SECONDS)  # Campaign holds each call before acting on it

    # The worker looks the person up (GET profile/byEmail), finds no one, and
    # creates the profile (POST profile): it is killed once that write has
    # reached Campaign, while Campaign holds it.
    with arrival_of("POST profile") as write:
        worker = start_worker(live_server, ACS_TIMEOUT_SECONDS="60", ACS_READ_TIMEOUT_SECONDS="60")
        try:
            deadline = time.monotonic() + 30
            while not write.event.wait(0.05):
                assert time.monotonic() < deadline, "the worker's POST profile never reached Campaign"
                assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            killed_at = time.time()
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            dead_at = time.time()
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert write.at is not None
    stuck = Change.objects.get(status=Change.Status.IN_PROGRESS)
    assert stuck.kind == Change.Kind.SYNC_PROFILE and stuck.attempts == 1

    # Campaign finishes the write with nobody left to hear the answer. Only
    # the killed worker has talked to Campaign, so the POST in the log was
    # sent before the kill; it was answered after the worker died, so it was
    # in flight. The profile exists, and the site does not know its PKey.
    created = answered(emulator, "POST profile", seconds=HOLD_SECONDS + 10)
    assert emulator.calls() == ["GET profile/byEmail", "POST profile"]
    assert created["status"] == 201
    assert created["at"] > dead_at, "Campaign answered the write before the worker died"
    assert len(emulator.profiles("killed@example.com")) == 1
    assert not Subscriber.objects.get(email="killed@example.com").campaign_pkey

    # Operators see a claim that no worker will finish; the sweeper puts it back.
    emulator.knobs(latency=0)
    settings.OUTBOX_CLAIM_TIMEOUT_SECONDS = 0  # the dead worker's claim is stale now
    time.sleep(0.01)
    assert outbox.sweep() >= 1
    stuck.refresh_from_db()
    assert stuck.status == Change.Status.PENDING
    drain()

    # The retry found the profile the dead worker's write created: one
    # profile, one POST profile in all.
    profiles = emulator.profiles("killed@example.com")
    assert len(profiles) == 1
    assert emulator.calls().count("POST profile") == 1
    assert Subscriber.objects.get(email="killed@example.com").campaign_pkey == profiles[0]["PKey"]
    assert emulator.subscriptions("killed@example.com") == ["NEWSLETTER"]
    assert len([e for e in emulator.events() if e["email"] == "killed@example.com"]) == 1
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()
    print(
        f"\n[SIGKILL] killed {(killed_at - write.at) * 1000:.0f} ms after its POST profile reached "
        f"Campaign (held {HOLD_SECONDS:.0f} s); the profile was created once, and the sweep's retry "
        "found it and delivered the rest once"
    )


@pytest.mark.django_db(transaction=True)
def test_three_worker_processes_apply_300_changes_exactly_once(
    client: Client, emulator: Emulator, newsletter: Topic, offers: Topic, live_server: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes share PostgreSQL; SQLite is for one machine")
    people = []
    for i in range(60):
        people.append(Subscriber.objects.create(email=f"w{i}@example.com", person_key=f"w{i}@example.com"))
    for subscriber in people:  # 5 changes each, 300 in all, each queueing a delivery task
        outbox.record(subscriber, Change.Kind.SYNC_PROFILE, email=subscriber.email, first_name="W")
        outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="NEWSLETTER")
        outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="SPECIAL_OFFERS")
        outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, last_name="Worker")
        outbox.record(
            subscriber,
            Change.Kind.SEND_MESSAGE,
            message="welcome",
            email=subscriber.email,
            language="en",
            context={},
        )
    assert Change.objects.count() == 300

    started = time.monotonic()
    workers = [start_worker(live_server) for _ in range(3)]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()[-2000:]
    seconds = time.monotonic() - started
    run_worker()  # anything a worker left due for a retry

    assert Change.objects.filter(status=Change.Status.DONE).count() == 300
    assert set(Change.objects.values_list("attempts", flat=True)) == {1}
    state = emulator.state()
    assert len(state["profiles"]) == 60
    assert len(state["subscriptions"]) == 120
    assert len(state["events"]) == 60
    assert duplicates(emulator) == {"profiles": 0, "subscriptions": 0, "events": 0}
    assert {p["lastName"] for p in state["profiles"]} == {"Worker"}
    print(f"\n[3 workers, PostgreSQL] 300 changes delivered once each in {seconds:.1f}s; duplicated: 0")
