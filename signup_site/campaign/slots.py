"""Delivery slots: one worker doing N steps of the outbox at once.

Each slot is a thread with its own database connection (Django's are per
thread), repeating a step until the step finds nothing to do or the pass's
budget of steps runs out; the caller's thread is the first slot. What keeps
the slots apart is the outbox's claim, not anything here.

A slot runs its `first` step (the requests taken in) until that finds
nothing, then only `step` (the changes): asking for requests before every
change cost a query per change, about a fifth of a change's CPU, which the
slots share under one interpreter lock. A request taken in after a slot moved
on wakes a worker of its own (`outbox.take_in`), so it waits one pass at most.
"""

import logging
import threading
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)


def run_in_slots(
    step: Callable[[], bool], slots: int, limit: int, first: Callable[[], bool] | None = None
) -> int:
    """Run `step` in `slots` threads at once, at most `limit` times in all
    (each slot runs `first`, when given, until it answers False, then `step`);
    how many times they did something (answered True).

    A slot that crashes ends alone, logged (the step puts its claim back);
    the others go on."""
    budget = iter(range(limit))
    lock = threading.Lock()
    counts = [0] * slots

    def work(slot: int) -> None:
        current = first or step
        while True:
            with lock:
                if next(budget, None) is None:
                    return
            while not current():
                if current is step:
                    return
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
