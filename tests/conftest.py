"""Shared fixtures. The suite runs against SQLite by default, and against
PostgreSQL when DATABASE_URL points at one (`make test-postgres`)."""

from collections.abc import Iterator
from typing import Any

import pytest

from signup_site.campaign.backends import reset_backends
from signup_site.campaign.models import LocalService, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics
from tests.database_outage import database_outage  # noqa: F401 (a fixture: our database down, then back)
from tests.smtp_server import smtp_server  # noqa: F401 (a fixture: mail to a real SMTP server)


@pytest.fixture(autouse=True)
def _fresh_backend(settings: Any) -> Iterator[None]:
    reset_backends()
    yield
    reset_backends()


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
