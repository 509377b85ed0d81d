"""`manage.py campaign ...`: JSON on stdout, clear errors and exit codes, on
the local backend and on the acs backend against the emulator."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from signup_site.campaign.models import LocalMessage, LocalProfile, LocalService
from tests import v8_support
from tests.acs_support import Emulator, use_acs_emulator

ROOT = Path(__file__).resolve().parent.parent


def campaign(*args: str) -> Any:
    out = StringIO()
    call_command("campaign", *args, stdout=out)
    return json.loads(out.getvalue())


def exit_code(*args: str) -> int:
    with pytest.raises(CommandError) as raised:
        call_command("campaign", *args, stdout=StringIO(), stderr=StringIO())
    return raised.value.returncode


@pytest.fixture
def local(db: None, settings: Any) -> None:
    settings.CAMPAIGN_BACKEND = "local"
    for name in ("NEWSLETTER", "SPECIAL_OFFERS"):
        LocalService.objects.get_or_create(name=name, defaults={"label": name.title()})


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


def walk_the_request_collection() -> str:
    """Every verb, in the order Adobe's Postman collection runs them; the PKey."""
    created = campaign(
        "profile", "create", "--email", "cli@example.com", "--first-name", "Cli", "--language", "es"
    )
    assert (created["email"], created["first_name"], created["language"]) == ("cli@example.com", "Cli", "es")
    pkey: str = created["pkey"]
    assert campaign("profile", "find", "cli@example.com")["pkey"] == pkey
    patched = campaign("profile", "patch", pkey, "--last-name", "Line", "--blacklist-email", "true")
    assert patched["patched"] == {"last_name": "Line", "blacklist_email": True}
    profile = campaign("profile", "get", pkey)
    assert (profile["last_name"], profile["blacklist_email"], profile["first_name"]) == ("Line", True, "Cli")
    names = [service["name"] for service in campaign("services")]
    assert {"NEWSLETTER", "SPECIAL_OFFERS"} <= set(names)
    assert campaign("subscribe", pkey, "NEWSLETTER")["subscribed"] is True
    assert campaign("subscribe", pkey, "NEWSLETTER")["subscribed"] is True  # idempotent
    assert campaign("subscriptions", pkey) == ["NEWSLETTER"]
    assert campaign("unsubscribe", pkey, "NEWSLETTER")["unsubscribed"] is True
    assert campaign("subscriptions", pkey) == []
    sent = campaign("event", "send", "welcome", "--email", "cli@example.com", "--ctx", "firstName=Cli")
    assert sent == {"sent": "welcome", "email": "cli@example.com"}
    return pkey


def test_the_request_collection_on_the_local_backend(local: None) -> None:
    pkey = walk_the_request_collection()
    assert LocalProfile.objects.get(pkey=pkey).last_name == "Line"
    assert LocalMessage.objects.get().context == {"firstName": "Cli"}


def test_the_request_collection_on_acs_against_the_emulator(emulator: Emulator) -> None:
    walk_the_request_collection()
    [profile] = emulator.profiles("cli@example.com")
    assert (profile["lastName"], profile["blackListEmail"], profile["preferredLanguage"]) == (
        "Line",
        True,
        "es_es",
    )
    [event] = emulator.events()
    assert (event["eventId"], event["ctx"]) == ("EVTwelcome", {"firstName": "Cli"})


def test_backend_option_overrides_the_setting(emulator: Emulator, settings: Any) -> None:
    settings.CAMPAIGN_BACKEND = "local"
    campaign("--backend", "acs", "profile", "create", "--email", "opt@example.com")
    assert len(emulator.profiles("opt@example.com")) == 1


def test_exit_codes_name_the_failure(emulator: Emulator, settings: Any) -> None:
    assert exit_code("profile", "get", "@no-such-key") == 3
    assert exit_code("profile", "find", "nobody@example.com") == 3
    pkey = campaign("profile", "create", "--email", "codes@example.com")["pkey"]
    assert exit_code("subscribe", pkey, "NO_SUCH_SERVICE") == 4
    assert exit_code("event", "send", "unmapped-message", "--email", "codes@example.com") == 4
    emulator.fault(status=503, body={"error_code": "503000", "message": "Service Unavailable"})
    assert exit_code("services") == 5
    emulator.throttle(times=1, retry_after=5)
    assert exit_code("services") == 5
    settings.ACS_CLIENT_SECRET = "wrong"
    assert exit_code("--backend", "acs", "services") == 6
    assert exit_code("profile", "patch", pkey) == 2  # nothing to change
    assert exit_code("event", "send", "welcome", "--email", "x@example.com", "--ctx", "no-equals") == 2


def test_errors_go_to_stderr_with_a_non_zero_status() -> None:
    """As an operator runs it: a real process, an unconfigured acs backend."""
    result = subprocess.run(
        [sys.executable, "manage.py", "campaign", "--backend", "acs", "services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "ACS_ORGANIZATION": "", "ACS_CLIENT_ID": ""},
        check=False,
    )
    assert result.returncode == 6
    assert result.stdout == ""
    assert "ACS_ORGANIZATION" in result.stderr


def check(*args: str) -> tuple[int, list[dict[str, Any]]]:
    """`campaign check`: its exit status and its report."""
    out = StringIO()
    try:
        call_command("campaign", *args, "check", stdout=out, stderr=StringIO())
    except CommandError as failed:
        return failed.returncode, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def test_check_passes_on_a_working_campaign(emulator: Emulator, seeded: None) -> None:
    status, report = check()
    assert status == 0
    assert [step["check"] for step in report] == [
        "configuration",
        "credentials and organization (list the services)",
        "the topics' services",
        "read a profile by email",
    ]
    assert all(step["ok"] for step in report)


def test_check_names_wrong_credentials(emulator: Emulator, seeded: None, settings: Any) -> None:
    settings.ACS_CLIENT_SECRET = "wrong"
    status, report = check()
    assert status == 6
    assert report[-1]["check"] == "credentials and organization (list the services)"
    assert report[-1]["ok"] is False


def test_check_names_a_topic_whose_service_campaign_lacks(emulator: Emulator, seeded: None) -> None:
    from signup_site.campaign.models import Topic

    Topic.objects.filter(slug="newsletter").update(service_name="NO_SUCH_SERVICE")
    status, report = check()
    assert status == 4
    failed = [step for step in report if not step["ok"]]
    assert [step["check"] for step in failed] == ["the topics' services"]
    assert "NO_SUCH_SERVICE" in failed[0]["detail"]


def test_check_names_a_missing_event_before_calling_campaign(
    emulator: Emulator, seeded: None, settings: Any
) -> None:
    settings.ACS_EVENTS = "welcome=EVTwelcome"  # the special offer sends "special-offer"
    emulator.clear_log()
    status, report = check()
    assert status == 6
    assert report == [{"check": "configuration", "ok": False, "detail": report[0]["detail"]}]
    assert "ACS_EVENTS" in report[0]["detail"] and "special-offer" in report[0]["detail"]
    assert emulator.log("acs") == []


@pytest.mark.parametrize("service", ["", "   "])
@pytest.mark.parametrize("verb", ["subscribe", "unsubscribe"])
def test_an_empty_service_name_is_a_usage_error_on_every_backend(
    emulator: Emulator, live_server: Any, settings: Any, verb: str, service: str
) -> None:
    """On v8, Unsubscribe without a service name puts the person on the denylist
    (every channel): the command refuses it before any backend is involved."""
    v8 = v8_support.start(settings, live_server.url)  # the acs settings stay as they are
    for backend in ("local", "acs", "v8"):
        with pytest.raises(CommandError) as refused:
            call_command(
                "campaign", "--backend", backend, verb, "jane@example.com", service, stdout=StringIO()
            )
        assert refused.value.returncode == 2, backend
        assert "service name" in str(refused.value)
    assert emulator.log("acs") == []
    assert v8.log() == []
