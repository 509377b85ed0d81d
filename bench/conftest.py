"""The benchmarks reuse the suite's fixtures and emulator helpers."""

from tests.conftest import _fresh_backend, _fresh_limits, newsletter, offers, seeded, unlimited

__all__ = ["_fresh_backend", "_fresh_limits", "newsletter", "offers", "seeded", "unlimited"]
