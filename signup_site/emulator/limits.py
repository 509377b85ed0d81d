"""The emulators' throttle and rate limit knobs (see control.py): how many
calls are answered 429, and with which `Retry-After`."""

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .control_input import an_object, only_fields, seconds, whole


@dataclass
class Throttle:
    times: int = 0
    retry_after: int = 30


@dataclass
class RateLimit:
    calls: int
    seconds: float
    retry_after: int
    answered: deque[float] = field(default_factory=deque)  # when the calls in the window came

    def refuses(self) -> bool:
        now = time.monotonic()
        while self.answered and self.answered[0] <= now - self.seconds:
            self.answered.popleft()
        if len(self.answered) >= self.calls:
            return True
        self.answered.append(now)
        return False


def parse_throttle(value: Any) -> Throttle:
    if value is None:
        return Throttle()
    data = an_object(value, "throttle")
    only_fields(data, ("times", "retry_after"), "throttle field")
    return Throttle(
        times=whole(data.get("times", 1), "throttle.times"),
        retry_after=whole(data.get("retry_after", 30), "throttle.retry_after"),
    )


def parse_rate_limit(value: Any) -> RateLimit | None:
    if value is None:
        return None
    data = an_object(value, "rate_limit")
    only_fields(data, ("calls", "seconds", "retry_after"), "rate_limit field")
    return RateLimit(
        calls=whole(data.get("calls", 1), "rate_limit.calls", minimum=1),
        seconds=seconds(data.get("seconds", 1), "rate_limit.seconds"),
        retry_after=whole(data.get("retry_after", 1), "rate_limit.retry_after"),
    )
