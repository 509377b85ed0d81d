"""The `acs` client, correct on the wire (issue "Correct on the wire"): what
it makes of Adobe I/O's answer to a wrong organization, and the Content-Type
its bodies declare, seen where they reach the emulator."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.acs import ACSBackend
from signup_site.campaign.backends.base import Message, ProfileFields
from signup_site.campaign.errors import CampaignMisconfigured, CampaignUnavailable
from signup_site.campaign.models import Change, LocalService, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics
from tests.acs_support import ORGANIZATION, TRANSACTIONAL_API, Emulator, resource, use_acs_emulator
from tests.helpers import confirm_latest, make_due, run_worker, sign_up

JSON_UTF8 = "application/json;charset=utf-8"
# The live server reads the site's database through its own connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


@pytest.fixture
def acs(emulator: Emulator) -> ACSBackend:
    backend = get_backend()
    assert isinstance(backend, ACSBackend)
    return backend


# --- a wrong ACS_ORGANIZATION -----------------------------------------------------------


def test_a_wrong_organization_is_misconfigured_naming_the_setting(live_server: Any, settings: Any) -> None:
    """Adobe I/O answers an organization it does not route with a 500 "Check
    your URI": an operator must fix ACS_ORGANIZATION, so it is not an outage
    to wait out (CampaignUnavailable, retried for ever)."""
    emulator = use_acs_emulator(live_server, settings, ACS_ORGANIZATION="acme-mkt-prod9")
    backend = get_backend()
    with pytest.raises(CampaignMisconfigured, match="ACS_ORGANIZATION") as raised:
        backend.find_profile("jane@example.com")
    assert not isinstance(raised.value, CampaignUnavailable)
    assert "Check your URI" in str(raised.value)
    calls = emulator.log("acs")
    assert [(entry["path"].split("/")[1], entry["status"]) for entry in calls] == [("acme-mkt-prod9", 500)]


def test_a_wrong_organization_exits_with_the_configuration_code(live_server: Any, settings: Any) -> None:
    use_acs_emulator(live_server, settings, ACS_ORGANIZATION="acme-mkt-prod9")
    stderr = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("campaign", "services", stdout=StringIO(), stderr=stderr)
    assert raised.value.returncode == 6  # "credentials or configuration"
    assert "ACS_ORGANIZATION" in str(raised.value)


def test_the_outbox_names_the_setting_and_delivers_once_it_is_fixed(live_server: Any, settings: Any) -> None:
    """What the operator sees: the change waits with an error naming
    ACS_ORGANIZATION; once the setting is fixed, it is delivered."""
    seed_default_topics(Topic, TopicTranslation, LocalService)  # live_server flushed them
    emulator = use_acs_emulator(live_server, settings, ACS_ORGANIZATION="acme-mkt-prod9")
    site = Client()
    sign_up(site, "ops@example.com", Topic.objects.get(slug="newsletter"), first_name="Ops")
    confirm_latest(site)
    waiting = Change.objects.filter(status=Change.Status.PENDING).order_by("id").first()
    assert waiting is not None
    assert waiting.last_error.startswith("CampaignMisconfigured:")
    assert "ACS_ORGANIZATION" in waiting.last_error
    assert emulator.profiles() == []

    settings.ACS_ORGANIZATION = ORGANIZATION
    reset_backends()
    make_due()
    run_worker()
    assert [profile["firstName"] for profile in emulator.profiles("ops@example.com")] == ["Ops"]
    assert emulator.subscriptions("ops@example.com") == ["NEWSLETTER"]


def test_the_right_organization_still_works(emulator: Emulator, acs: ACSBackend) -> None:
    assert {"NEWSLETTER", "SPECIAL_OFFERS"} <= {service.name for service in acs.list_services()}
    assert {entry["path"].split("/")[1] for entry in emulator.log("acs")} == {ORGANIZATION}


# --- the charset of bodies ------------------------------------------------------------------


def test_transactional_events_declare_utf8(emulator: Emulator, acs: ACSBackend) -> None:
    """ "Transactional messages": Content-Type application/json, "You must add
    a charset"; the context's special characters arrive intact."""
    context = {"firstName": "Zoë", "couponCode": "ÉTÉ-2025"}
    acs.send_message(Message(name="welcome", email="zoe@example.com", language="en", context=context))
    [event] = [entry for entry in emulator.log("acs") if entry["method"] == "POST"]
    assert resource(event["path"]) == f"{TRANSACTIONAL_API}/EVTwelcome"
    assert event["content_type"] == JSON_UTF8
    assert emulator.events()[0]["ctx"] == context


def test_every_body_declares_utf8(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = acs.create_profile(ProfileFields(email="zoe@example.com", first_name="Zoë")).pkey
    acs.update_profile(pkey, ProfileFields(last_name="Müller"))
    acs.subscribe(pkey, "NEWSLETTER")
    entries = emulator.log("acs")
    with_body = {f"{e['method']} {resource(e['path'])}": e["content_type"] for e in entries if e["body"]}
    assert with_body == {
        "POST profile": JSON_UTF8,
        "PATCH profile/{PKey}": JSON_UTF8,
        "POST profile/{PKey}/subscriptions/": JSON_UTF8,
    }
    assert emulator.profiles("zoe@example.com")[0]["lastName"] == "Müller"
