"""Latency that a reset can cut short.

An emulated call that sleeps for the latency knob must not wake up after the
state was reset (by the next test, say) and act on the new state: it would
consume that test's injected faults or create records nobody sent. A reset
interrupts every pause in progress, and the interrupted call answers 503
without touching anything.
"""

import threading


class Pauses:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def interrupt(self) -> None:
        """End every pause in progress; each reports that it was interrupted."""
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`; False when a reset came first."""
        with self._condition:
            generation = self._generation
            self._condition.wait_for(lambda: self._generation != generation, timeout=seconds)
            return self._generation == generation
