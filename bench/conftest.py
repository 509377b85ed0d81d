"""The benchmarks reuse the suite's fixtures and emulator helpers."""

from tests.conftest import _fresh_backend, newsletter, offers, seeded

__all__ = ["_fresh_backend", "newsletter", "offers", "seeded"]
