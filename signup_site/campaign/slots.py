"""Delivery slots: one worker doing N steps of the outbox at once.

Each slot is a thread with its own database connection (Django's are per
thread), repeating a step until the step finds nothing to do or the pass's
budget of steps runs out; the caller's thread is the first slot. What keeps
the slots apart is the outbox's claim, not anything here.

A slot runs its `first` step (the requests taken in) until that finds
nothing, then `step` (the changes), and asks for requests again once a
second (FIRST_EVERY_SECONDS), not before every change: that cost a query per
change, about a fifth of a change's CPU, which the slots share under one
interpreter lock. Once a pass was not enough: a request taken in after a
slot moved on woke a worker of its own (`outbox.take_in`), but a worker
process runs one task at a time, and while Campaign answered slowly and the
pages kept queueing changes, the pass went on and a sign-up's confirmation
email waited for it, over a minute in the bench.
"""

import logging
import threading
from collections.abc import Callable
from time import monotonic, sleep

from django.db import connection

logger = logging.getLogger(__name__)

# How often a slot busy with changes asks again for requests taken in.
FIRST_EVERY_SECONDS = 1.0


def run_in_slots(
    step: Callable[[], bool],
    slots: int,
    limit: int,
    first: Callable[[], bool] | None = None,
    soon: Callable[[], float | None] | None = None,
) -> int:
    """Run `step` in `slots` threads at once, at most `limit` times in all
    (each slot runs `first`, when given, until it answers False, then `step`);
    how many times they did something (answered True). A slot that finds
    nothing to do asks `soon`, when given, how long until there is: it
    waits that long and goes on, or ends when `soon` answers None.

    A slot that crashes ends alone, logged (the step puts its claim back);
    the others go on."""
    budget = iter(range(limit))
    lock = threading.Lock()
    counts = [0] * slots

    def work(slot: int) -> None:
        current = first or step
        asked = monotonic()
        while True:
            with lock:
                if next(budget, None) is None:
                    return
            if first is not None and current is step and monotonic() - asked >= FIRST_EVERY_SECONDS:
                current, asked = first, monotonic()
            while not current():
                if current is step:
                    wait = soon() if soon is not None else None
                    if wait is None:
                        return
                    sleep(wait)
                    current, asked = first or step, monotonic()
                    continue
                current = step
            counts[slot] += 1

    helpers = [threading.Thread(target=_slot, args=(work, slot)) for slot in range(1, slots)]
    for helper in helpers:
        helper.start()
    _slot(work, 0)
    for helper in helpers:
        helper.join()
    return sum(counts)


def _slot(work: Callable[[int], None], slot: int) -> None:
    try:
        work(slot)
    except Exception:
        logger.exception("delivery slot %s stopped", slot)
    finally:
        if slot:  # a helper's connection is its own: close it with the thread
            connection.close()
