"""Waiting out an outage of our own database, for the long-running processes
(the task worker and the outbox sweeper): they log it, drop their
connections, wait with capped exponential backoff, and carry on, instead of
exiting and leaving the outbox undelivered until someone restarts them."""

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# A connection refused, dropped or timed out: the database is out of reach.
DATABASE_OUTAGE = (OperationalError, InterfaceError)
FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0
# A run that lasted this long was not the same outage: start the backoff again.
HEALTHY_RUN_SECONDS = 60.0


class Backoff:
    """Pauses of 1, 2, 4 ... 30 s between attempts, interruptible by SIGINT/SIGTERM."""

    def __init__(self) -> None:
        self.pause = FIRST_PAUSE_SECONDS
        self.stopping = False

    def wait(self, what: str, error: Exception) -> bool:
        """Log the outage, drop connections, wait; False when told to stop meanwhile."""
        logger.warning(
            "%s: database unavailable (%s); trying again in %.0f s", what, type(error).__name__, self.pause
        )
        connections.close_all()
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            deadline = time.monotonic() + self.pause
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.pause = min(self.pause * 2, MAX_PAUSE_SECONDS)
        return not self.stopping

    def reset(self) -> None:
        self.pause = FIRST_PAUSE_SECONDS

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True


def run_through_outages(what: str, run: Callable[[], None]) -> None:
    """Call `run()` until it returns; a database outage escaping it is waited out."""
    backoff = Backoff()
    while True:
        started = time.monotonic()
        try:
            run()
            return
        except DATABASE_OUTAGE as error:
            if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                backoff.reset()
            if not backoff.wait(what, error):
                return
