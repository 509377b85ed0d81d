"""Configuration: the example env file is the reference (product.md §5) and
lists every variable the settings read, and nothing they don't; the campaign
configuration is parsed once, and a wrong value fails `manage.py check`
naming the variable."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from pytest_django import Settings

from signup_site.campaign import config
from tests.acs_support import CLIENT_ID, CLIENT_SECRET, ORGANIZATION

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_variable_the_settings_read() -> None:
    settings = (ROOT / "signup_site" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', settings))
    read |= set(re.findall(r'os\.environ(?:\.get)?[\[(]\s*"([A-Z][A-Z0-9_]+)"', settings))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert len(read) > 40
    assert sorted(read - listed) == [], "variables missing from .env.example"
    assert sorted(listed - read) == [], "variables in .env.example that nothing reads"


# --- the site's own settings, read when it starts ---------------------------------------------


def start(variable: str, value: str) -> subprocess.CompletedProcess[str]:
    """As an operator starts it: a real process, the settings read from the environment."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", variable: value},
        check=False,
    )


def start_fails_naming(variable: str, value: str) -> None:
    result = start(variable, value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADMIN_LOCKOUT_FAILURES", "0"),
        ("ADMIN_LOCKOUT_FAILURES", "five"),
        ("ADMIN_LOCKOUT_MINUTES", "0"),
        ("ADMIN_LOCKOUT_IP_FAILURES", "3"),  # fewer than one username may fail from one address
    ],
)
def test_a_malformed_admin_lockout_setting_stops_the_site(variable: str, value: str) -> None:
    start_fails_naming(variable, value)


@pytest.mark.parametrize("value", ["/admin/", "admin", "ops//admin/", "ops/<int:pk>/", "../", "ops admin/"])
def test_a_malformed_admin_url_stops_the_site(value: str) -> None:
    start_fails_naming("DJANGO_ADMIN_URL", value)


def test_an_admin_url_a_few_segments_deep_is_fine() -> None:
    result = start("DJANGO_ADMIN_URL", "ops/admin-3f9c/")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    "value",
    ["www.brand.example", "https://www.brand.example/", "https://brand.example/page", "*", "https://*.x"],
)
def test_a_malformed_api_origin_stops_the_site(value: str) -> None:
    start_fails_naming("SIGNUP_API_ALLOWED_ORIGINS", value)


def test_api_origins_are_a_comma_separated_list() -> None:
    result = start("SIGNUP_API_ALLOWED_ORIGINS", "https://www.brand.example, http://localhost:3000")
    assert (result.returncode, result.stderr) == (0, "")


# --- the campaign configuration, checked at start-up ------------------------------------------


def check_fails_naming(variable: str) -> str:
    with pytest.raises(SystemCheckError) as failed:
        call_command("check")
    assert variable in str(failed.value)
    return str(failed.value)


@pytest.fixture
def acs_settings(settings: Settings) -> Settings:
    settings.CAMPAIGN_BACKEND = "acs"
    settings.ACS_ORGANIZATION = ORGANIZATION
    settings.ACS_CLIENT_ID = CLIENT_ID
    settings.ACS_CLIENT_SECRET = CLIENT_SECRET
    settings.ACS_EVENTS = "welcome=EVTwelcome,special-offer=EVTspecialOffer"
    return settings


@pytest.mark.django_db
def test_a_complete_acs_configuration_passes_the_check(acs_settings: Settings, seeded: Any) -> None:
    call_command("check")


@pytest.mark.django_db
def test_acs_events_lacking_a_message_the_topics_send_fail_the_check(
    acs_settings: Settings, seeded: Any
) -> None:
    acs_settings.ACS_EVENTS = "welcome=EVTwelcome"
    assert "'special-offer'" in check_fails_naming("ACS_EVENTS")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ACS_ORGANIZATION", ""),
        ("ACS_CLIENT_SECRET", ""),
        ("ACS_EVENTS", "welcome"),
        ("ACS_EVENTS", "welcome=not-an-event-id"),
        ("ACS_TIMEOUT_SECONDS", -1.0),
    ],
)
def test_malformed_or_missing_acs_settings_fail_the_check(
    acs_settings: Settings, seeded: Any, variable: str, value: object
) -> None:
    setattr(acs_settings, variable, value)
    check_fails_naming(variable)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variable", "value"),
    [("V8_AUTH", "password"), ("V8_MESSAGES", "sms"), ("V8_URL", ""), ("V8_PROFILE_STAGING_SCHEMA", "stg")],
)
def test_malformed_or_missing_v8_settings_fail_the_check(
    settings: Settings, seeded: Any, variable: str, value: object
) -> None:
    settings.CAMPAIGN_BACKEND = "v8"
    settings.V8_URL = "https://acme.campaign.adobe.com"
    settings.V8_CLIENT_ID, settings.V8_CLIENT_SECRET = "id", "secret"
    setattr(settings, variable, value)
    check_fails_naming(variable)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [0, -1, "4MB"])
def test_a_reply_cap_that_is_not_a_positive_count_fails_the_check(settings: Settings, value: object) -> None:
    settings.CAMPAIGN_MAX_REPLY_BYTES = value
    check_fails_naming("CAMPAIGN_MAX_REPLY_BYTES")


@pytest.mark.django_db
def test_an_unknown_backend_name_fails_the_check(settings: Settings) -> None:
    settings.CAMPAIGN_BACKEND = "acs8"
    check_fails_naming("CAMPAIGN_BACKEND")


@pytest.mark.django_db
def test_a_message_without_templates_fails_the_check_where_the_site_sends_it(
    settings: Settings, seeded: Any
) -> None:
    settings.SIGNUP_WELCOME_MESSAGE = "no-such-message"
    assert "no-such-message" in check_fails_naming("templates/emails")


def test_configuration_is_parsed_once_and_again_after_a_settings_change(settings: Settings) -> None:
    first = config.campaign_config()
    assert config.campaign_config() is first
    settings.CAMPAIGN_READ_BUDGET_SECONDS = 2.5
    assert config.campaign_config() is not first
    assert config.campaign_config().read_budget_seconds == 2.5
