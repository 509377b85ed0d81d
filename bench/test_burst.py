"""`make bench`, issue 15 goal 5: a burst. BENCH_BURST sign-ups (default
1,000; the goal is 5,000 in a minute) and their confirmations arrive from
several threads at once, through the Django test client (the whole site
stack on this process's database, without an HTTP server: the page's own
work is what is measured, and no server setup sits between the bench and
the database the worker drains). Every answer must be a success. A worker
(4 slots) drains the outbox meanwhile and after, against the ACS emulator
answering 429 with `Retry-After: 1` beyond BENCH_BURST_RATE calls a second
(default 50); the time to drain and the rate Campaign accepted are reported.
"""

import os
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from bench.figures import emulator_process, row, taken_in, worker_running, write_figures
from signup_site.campaign.models import Change, InboundRequest, Topic
from signup_site.web.links import site_links
from tests.acs_support import use_acs_emulator
from tests.helpers import path_of

BURST = int(os.environ.get("BENCH_BURST", "1000"))
RATE = int(os.environ.get("BENCH_BURST_RATE", "50"))
THREADS = 4
WORKER_SLOTS = 4
GOAL_PER_MINUTE = 2 * 5_000  # 5,000 sign-ups and 5,000 confirmations
DRAIN_LIMIT_SECONDS = 900
COUNTING = threading.Lock()


def arrive(emails: list[str], newsletter: Topic, statuses: Counter[int]) -> None:
    """One thread's share of the burst: its sign-ups, then their confirmations."""
    client = Client()
    answered: Counter[int] = Counter()
    try:
        for email in emails:
            data = {"email": email, "language": "en", "topics": [str(newsletter.pk)]}
            answered[client.post("/signup/", data).status_code] += 1
        for email in emails:
            answered[client.post(path_of(site_links.confirm_url(taken_in(email)))).status_code] += 1
    finally:
        with COUNTING:
            statuses.update(answered)
        connection.close()


def unfinished() -> int:
    return Change.objects.filter(status__in=Change.UNFINISHED).count() + InboundRequest.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_sign_ups_and_confirmations(settings: Any, newsletter: Topic, unlimited: None) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 10_000
    statuses: Counter[int] = Counter()
    with emulator_process() as site:
        emulator = use_acs_emulator(site, settings)
        emulator.knobs(rate_limit={"calls": RATE, "seconds": 1, "retry_after": 1})
        with worker_running(WORKER_SLOTS):
            started = time.perf_counter()
            shares = [[f"burst{n}@example.com" for n in range(t, BURST, THREADS)] for t in range(THREADS)]
            threads = [threading.Thread(target=arrive, args=(s, newsletter, statuses)) for s in shares]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            arrived = time.perf_counter() - started
            while unfinished() and time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
                time.sleep(0.5)
            drained = time.perf_counter() - started
        left = unfinished()
        log = emulator.log("acs")
    accepted = sum(1 for entry in log if entry.get("status") != 429)
    refused = len(log) - accepted
    answered = sum(statuses.values())
    errors = answered - statuses[302] - statuses[200]
    per_minute = answered / arrived * 60
    rows = [
        row(
            f"burst: {BURST} sign-ups + confirmations, answers not a success",
            errors,
            "answers",
            "0",
            errors == 0,
        ),
        row(
            "burst: arrival rate the site answered",
            per_minute,
            "requests/min",
            f">= {GOAL_PER_MINUTE} (5,000 of each)",
            per_minute >= GOAL_PER_MINUTE,
        ),
        row(f"burst: time to drain the outbox (Campaign limit {RATE} calls/s)", drained, "s", None, None),
        row(
            "burst: Campaign calls accepted a second while draining",
            accepted / drained,
            "calls/s",
            f"<= {RATE} (the limit)",
            accepted / drained <= RATE and left == 0,
        ),
        row("burst: calls refused 429", refused, "calls"),
        row("burst: changes left undelivered", left, "changes", "0", left == 0),
    ]
    print(
        f"\n[bench] burst of {BURST} sign-ups and {BURST} confirmations from {THREADS} threads: "
        f"answered in {arrived:.1f} s ({per_minute:.0f}/min), statuses {dict(statuses)}; "
        f"outbox drained in {drained:.1f} s ({left} left) against a limit of {RATE} calls/s: "
        f"{accepted} calls accepted ({accepted / drained:.1f}/s), {refused} refused 429"
    )
    write_figures(
        "burst", "Issue 15 goal 5: a burst answered without error; the outbox drains under 429s", rows
    )
