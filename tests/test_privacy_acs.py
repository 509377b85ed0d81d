"""Download my data and delete me with CAMPAIGN_BACKEND=acs: the real `acs`
client against the ACS emulator's privacy API over HTTP (POST
privacy/privacyTool, then its status polled by the outbox until complete)."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.models import (
    Change,
    LocalService,
    PrivacyRequest,
    Subscriber,
    Topic,
    TopicTranslation,
)
from signup_site.campaign.seed import seed_default_topics
from signup_site.emulator.acs import privacy as emulated_privacy
from tests.acs_support import Emulator, use_acs_emulator
from tests.helpers import link_in, make_due, run_worker, sign_up
from tests.privacy_support import download, open_latest_preferences_link, press_delete, what_is_left


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    seed_default_topics(Topic, TopicTranslation, LocalService)
    return use_acs_emulator(live_server, settings)


def signed_up_jane(client: Client) -> Subscriber:
    sign_up(
        client, "jane@example.com", Topic.objects.get(slug="newsletter"), first_name="Jane", last_name="Doe"
    )
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()
    open_latest_preferences_link(client)
    return Subscriber.objects.get(email="jane@example.com")


def test_download_reads_the_profile_from_acs(client: Client, emulator: Emulator) -> None:
    signed_up_jane(client)
    emulator.clear_log()
    data = download(client)
    assert data["campaign"]["profile"]["first_name"] == "Jane"
    assert [topic["service"] for topic in data["campaign"]["topics"]] == ["NEWSLETTER"]
    assert emulator.calls()[0] == "GET profile/{PKey}"  # read by PKey

    emulator.fault(method="GET", path="/profileAndServices/profile/", status=503, times=10)
    data = download(client)
    assert data["campaign"]["available"] is False
    assert data["site"]["subscriber"]["email"] == "jane@example.com"


def test_erasure_reaches_the_privacy_api_and_is_polled_until_complete(
    client: Client, emulator: Emulator, settings: Any
) -> None:
    settings.PRIVACY_POLL_SECONDS = 600
    signed_up_jane(client)
    assert emulator.profiles("jane@example.com")
    press_delete(client)
    emulator.clear_log()
    sent = len(mail.outbox)

    run_worker()
    # Filed, read once ("processing"), and asked again later: not a failure.
    assert emulator.calls() == ["POST privacy/privacyTool", "GET privacy/privacyTool/{PKey}"]
    [filed] = emulator.state()["privacy_requests"]
    assert {
        key: filed[key] for key in ("namespaceName", "reconciliationValue", "regulation", "type", "status")
    } == {
        "namespaceName": "defaultNamespace1",
        "reconciliationValue": "jane@example.com",
        "regulation": "gdpr",
        "type": "delete",
        "status": "processing",
    }
    change = Change.objects.get(kind=Change.Kind.ERASE_PROFILE)
    assert change.status == Change.Status.PENDING and change.failure == ""
    assert (change.next_attempt_at - change.created_at).total_seconds() > 500
    assert emulator.profiles("jane@example.com")  # Campaign has not erased yet
    assert mail.outbox[sent:] == []
    assert PrivacyRequest.objects.get().status == PrivacyRequest.Status.SENT

    make_due()
    run_worker()
    assert emulator.state()["privacy_requests"][0]["status"] == "complete"
    assert emulator.profiles("jane@example.com") == []
    assert emulator.subscriptions("jane@example.com") == []
    [told] = [m for m in mail.outbox[sent:] if m.subject == "Your data has been deleted"]
    assert told.to == ["jane@example.com"]
    request = PrivacyRequest.objects.get()
    assert (request.status, request.campaign_status, request.email) == ("confirmed", "complete", "")
    assert Change.objects.get(pk=change.pk).status == Change.Status.DONE
    left = what_is_left("jane@example.com")
    assert left["subscribers with the address"] == 0 and left["changes naming the address"] == []
    assert left["hashes"] == 1 and left["consent records"] == 2


def test_a_retried_erasure_finds_the_request_it_filed(client: Client, emulator: Emulator) -> None:
    signed_up_jane(client)
    press_delete(client)
    request = PrivacyRequest.objects.get()
    # As if a first attempt's answer was lost: Campaign already has the request.
    emulated_privacy.file_request(
        {
            "name": request.campaign_name,
            "namespaceName": "defaultNamespace1",
            "reconciliationValue": "jane@example.com",
            "regulation": "gdpr",
            "type": "delete",
        }
    )
    run_worker()
    make_due()
    run_worker()
    assert len(emulator.state()["privacy_requests"]) == 1
    assert PrivacyRequest.objects.get().status == PrivacyRequest.Status.CONFIRMED


def test_an_unknown_namespace_waits_for_an_operator(
    client: Client, emulator: Emulator, settings: Any
) -> None:
    settings.ACS_PRIVACY_NAMESPACE = "noSuchNamespace"
    signed_up_jane(client)
    press_delete(client)
    run_worker()
    change = Change.objects.get(kind=Change.Kind.ERASE_PROFILE)
    assert (change.status, change.failure) == (Change.Status.PENDING, Change.Failure.MISCONFIGURED)
    assert "ACS_PRIVACY_NAMESPACE" in change.last_error
