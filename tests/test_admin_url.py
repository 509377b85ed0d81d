"""DJANGO_ADMIN_URL moves the admin, and only the admin."""

import importlib
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import clear_url_caches, reverse
from pytest_django import Settings

import signup_site.urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def mount_admin_at(settings: Settings) -> Iterator[Callable[[str], None]]:
    """Load the URL configuration again with the admin at another prefix, as
    the site does when it starts with DJANGO_ADMIN_URL set."""
    default = django_settings.ADMIN_URL

    def mount(prefix: str) -> None:
        settings.ADMIN_URL = prefix
        importlib.reload(signup_site.urls)
        clear_url_caches()

    yield mount
    mount(default)


def test_the_admin_answers_at_the_configured_prefix_only(mount_admin_at: Callable[[str], None]) -> None:
    mount_admin_at("ops-3f9c/")
    assert reverse("admin:index") == "/ops-3f9c/"
    admin = Client()
    admin.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    assert admin.get("/ops-3f9c/campaign/optout/").status_code == 200
    assert admin.get("/admin/").status_code == 404
    assert Client().get("/ops-3f9c/").status_code == 302  # to its own login page
    assert Client().get("/ops-3f9c/").headers["Location"].startswith("/ops-3f9c/login/")


def test_an_admin_prefix_cannot_hide_a_public_page(mount_admin_at: Callable[[str], None]) -> None:
    mount_admin_at("signup/")
    assert Client().get("/signup/").status_code == 200
    assert Client().get("/signup/login/").status_code == 200  # the admin, where no page is


def test_the_default_is_admin() -> None:
    assert reverse("admin:index") == "/admin/"
