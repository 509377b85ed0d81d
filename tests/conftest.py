"""Shared fixtures. The suite runs against SQLite by default, and against
PostgreSQL when DATABASE_URL points at one (`make test-postgres`)."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from signup_site.brand.cache import forget_brand
from signup_site.campaign.backends import reset_backends
from signup_site.campaign.models import LocalService, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics
from signup_site.web.fragments import forget_pages
from tests.database_outage import database_outage  # noqa: F401 (a fixture: our database down, then back)
from tests.smtp_server import smtp_server  # noqa: F401 (a fixture: mail to a real SMTP server)

# Property tests try the same examples on every run, so a failure in CI is the
# same failure on a laptop, and remember none (no .hypothesis/ database); no
# deadline, since a loaded machine is slow, not wrong. HYPOTHESIS_PROFILE=explore
# searches afresh and ten times wider.
hypothesis_settings.register_profile(
    "repeatable", max_examples=200, derandomize=True, database=None, deadline=None
)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _fresh_backend(settings: Any) -> Iterator[None]:
    reset_backends()
    yield
    reset_backends()


@pytest.fixture(autouse=True)
def _fresh_brand() -> Iterator[None]:
    """No test sees the brand another test cached (the database row is rolled back, the cache is not)."""
    forget_brand()
    yield
    forget_brand()


@pytest.fixture(autouse=True)
def _fresh_pages() -> Iterator[None]:
    """No test reads a blank page another test kept (web.fragments): rows roll back, the cache does not."""
    forget_pages()
    yield
    forget_pages()


@pytest.fixture
def seeded(db: None) -> None:
    """The default topics, as the data migration makes them (a transactional
    test before this one may have flushed them)."""
    seed_default_topics(Topic, TopicTranslation, LocalService)


@pytest.fixture
def newsletter(seeded: None) -> Topic:
    return Topic.objects.get(slug="newsletter")


@pytest.fixture
def offers(seeded: None) -> Topic:
    return Topic.objects.get(slug="special-offers")


@pytest.fixture(autouse=True)
def _fresh_limits(request: pytest.FixtureRequest) -> None:
    """The abuse limits' counters and spent proofs start afresh in every test.
    The counters are rows of a model (web.models.LimitCounter), emptied by a
    test's rollback and by the flush ending a transactional one; spent proofs
    live in the database cache, whose table that flush leaves alone: emptied
    here, before such a test (live server, browser), once its database is there."""
    if "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
def unlimited(settings: Any) -> None:
    """The abuse limits out of the way, for tests of something else that sign
    up many people from one test client."""
    for name in (
        "LIMIT_IP_PER_HOUR",
        "LIMIT_IP_UNPROVEN_PER_HOUR",
        "LIMIT_NETWORK_PER_HOUR",
        "LIMIT_MAILBOX_PER_DAY",
    ):
        setattr(settings, name, 1_000_000)
    settings.LIMIT_GLOBAL_PER_HOUR = settings.LIMIT_GLOBAL_UNPROVEN_PER_HOUR = 1_000_000
    # The per-mailbox hourly cap the page applies before the worker does.
    settings.SIGNUP_EMAILS_PER_HOUR = 1_000_000
