"""Shared fixtures. The suite runs against SQLite by default, and against
PostgreSQL when DATABASE_URL points at one (`make test-postgres`)."""

from collections.abc import Iterator
from typing import Any

import pytest

from signup_site.campaign.backends import reset_backends
from signup_site.campaign.models import Topic


@pytest.fixture(autouse=True)
def _fresh_backend(settings: Any) -> Iterator[None]:
    reset_backends()
    yield
    reset_backends()


@pytest.fixture
def newsletter(db: None) -> Topic:
    return Topic.objects.get(slug="newsletter")


@pytest.fixture
def offers(db: None) -> Topic:
    return Topic.objects.get(slug="special-offers")
