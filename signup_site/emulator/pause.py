"""Latency that a reset can cut short.

An emulated call that sleeps for the latency knob must not wake up after the
state was reset (by the next test, say) and act on the new state: it would
consume that test's injected faults or create records nobody sent. A reset
interrupts every pause in progress, and the interrupted call answers 503
without touching anything.

How many calls are pausing right now is observable (`_control/state`
answers it as `paused`), so a test can wait until a call is inside its pause
instead of sleeping and hoping.
"""

import threading


class Pauses:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0
        self._waiting = 0

    def interrupt(self) -> None:
        """End every pause in progress; each reports that it was interrupted."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`; False when a reset came first."""
        with self._condition:
            generation = self._generation
            self._waiting += 1
            try:
                self._condition.wait_for(lambda: self._generation != generation, timeout=seconds)
            finally:
                self._waiting -= 1
            return self._generation == generation

    @property
    def waiting(self) -> int:
        """How many calls are inside a pause now."""
        with self._condition:
            return self._waiting
