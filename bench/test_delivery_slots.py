"""`make bench`, issue 15 goal 4: delivery near the concurrency bound. With
Campaign (the ACS emulator, in a process of its own) answering every call in
100 ms, N delivery slots should deliver at least 80 % of N / 0.1 s changes a
second, for N = 1, 4 and 16. Each change is one transactional message (one
call); every person has two, so each person's order is exercised and checked.

The N slots are N threads of this one process (`outbox.deliver_all(slots=N)`,
as `manage.py worker --slots N` runs them), under one interpreter lock: so
the bench also reports the CPU this process spends per change (its own
time, not the emulator's, which has a process of its own) and the ceiling
that puts on one process, 1 / CPU per change. That figure, unlike the rate,
hardly moves with what else the machine is running.
"""

import time
from typing import Any

import pytest

from bench.figures import emulator_process, row, write_figures
from signup_site.campaign import outbox
from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import Change, Subscriber
from tests.acs_support import Emulator, use_acs_emulator

LATENCY = 0.1
SLOTS = (1, 4, 16)
GOAL_SHARE = 0.8


def queue_changes(prefix: str, people: int) -> None:
    for number in range(people):
        email = f"{prefix}{number}@example.com"
        subscriber = Subscriber.objects.create(
            email=email, person_key=person_key(email), status=Subscriber.Status.CONFIRMED
        )
        for step in range(2):
            Change.objects.create(
                subscriber=subscriber,
                kind=Change.Kind.SEND_MESSAGE,
                payload={"message": "welcome", "email": email, "context": {"step": str(step)}},
            )


def in_order(emulator: Emulator, prefix: str) -> bool:
    """Every person's two messages reached Campaign in the order queued."""
    seen: dict[str, list[str]] = {}
    for event in emulator.events():
        email = event.get("email", "")
        if email.startswith(prefix):
            seen.setdefault(email, []).append(str(event.get("ctx", {}).get("step")))
    return all(steps == ["0", "1"] for steps in seen.values())


@pytest.mark.django_db(transaction=True)
def test_delivery_throughput_with_n_slots(settings: Any) -> None:
    rows = []
    with emulator_process() as site:
        emulator = use_acs_emulator(site, settings)
        queue_changes("warm", 1)
        outbox.deliver_all(slots=1)  # the IMS token, the connection
        emulator.knobs(latency=LATENCY)
        for slots in SLOTS:
            people = max(20, slots * 10)
            prefix = f"n{slots}-"
            queue_changes(prefix, people)
            started, cpu_started = time.perf_counter(), time.process_time()
            outbox.deliver_all(slots=slots)
            seconds = time.perf_counter() - started
            cpu_ms = (time.process_time() - cpu_started) * 1000 / (people * 2)
            done = Change.objects.filter(
                subscriber__email__startswith=prefix, status=Change.Status.DONE
            ).count()
            rate = done / seconds
            bound = slots / LATENCY
            ordered = in_order(emulator, prefix)
            met = done == people * 2 and ordered and rate >= GOAL_SHARE * bound
            rows.append(
                row(
                    f"delivery, {slots} slot(s), Campaign 100 ms",
                    rate,
                    "changes/s",
                    f">= {GOAL_SHARE * bound:.0f} (80 % of {bound:.0f})",
                    met,
                )
            )
            rows.append(row(f"delivery, {slots} slot(s): this process's CPU per change", cpu_ms, "ms"))
            print(
                f"\n[bench] {slots:>2} slot(s): {done}/{people * 2} changes in {seconds:.2f} s, {rate:.1f}/s "
                f"(bound {bound:.0f}/s, {rate / bound:.0%}); per-person order kept: {ordered}; "
                f"{cpu_ms:.1f} ms CPU per change here (one process's ceiling {1000 / cpu_ms:.0f}/s)"
            )
    write_figures(
        "delivery_slots", "Issue 15 goal 4: N slots deliver >= 80 % of N / 0.1 s changes a second", rows
    )
