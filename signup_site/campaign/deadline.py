"""Deadlines for Campaign calls: a page's time budget, and each call's own.

The preferences page reads the profile, then its subscriptions (and, when
the cached key is stale, finds the profile by email first). Each call has
its own limit, but the person waits for their sum. `within(seconds)` sets a
deadline for everything inside it; blocks nest, and the earliest deadline
wins. The backends' session (`backends/http.py`) puts each call inside a
`within` of its own limit, cuts its connect and read timeouts to what is left
(`timeouts`), and every socket read of the reply to what is left then
(`remaining`); a call with nothing left is not made at all.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import CampaignUnavailable

# Below this, a call cannot succeed: answer "unavailable" without making it.
MINIMUM_SECONDS = 0.05

_deadline: ContextVar[float | None] = ContextVar("campaign_deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Campaign calls inside this block share `seconds` in all (nested blocks
    keep the earlier deadline)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (negative once past it), or
    None outside any `within` block."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def timeouts(connect: float, read: float) -> tuple[float, float]:
    """`(connect, read)` for the next call, cut to the budget left; raises
    `CampaignUnavailable` when the budget is spent."""
    deadline = _deadline.get()
    if deadline is None:
        return connect, read
    left = deadline - time.monotonic()
    if left < MINIMUM_SECONDS:
        raise CampaignUnavailable("Campaign did not answer within the page's time budget")
    return min(connect, left), min(read, left)
