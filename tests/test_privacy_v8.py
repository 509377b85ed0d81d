"""Download my data and delete me with CAMPAIGN_BACKEND=v8: the real SOAP
client against the v8 emulator (nms:privacyRequest#CreateRequestByName, its
status read by a queryDef on nms:gdprRequest until complete)."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.models import Change, PrivacyRequest, Subscriber, Topic
from tests.helpers import link_in, make_due, run_worker, sign_up
from tests.privacy_support import download, open_latest_preferences_link, press_delete, what_is_left
from tests.v8_support import V8Emulator, start


@pytest.fixture
def emulator(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "ims")


def signed_up_jane(client: Client, emulator: V8Emulator, newsletter: Topic) -> Subscriber:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane", last_name="Doe")
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()
    emulator.replicate()  # Campaign's hourly workflow copies staging into its tables
    open_latest_preferences_link(client)
    return Subscriber.objects.get(email="jane@example.com")


def test_download_and_erasure_on_v8(
    client: Client, emulator: V8Emulator, newsletter: Topic, settings: Any
) -> None:
    signed_up_jane(client, emulator, newsletter)
    data = download(client)
    assert data["campaign"]["profile"]["last_name"] == "Doe"
    assert [topic["service"] for topic in data["campaign"]["topics"]] == ["NEWSLETTER"]

    press_delete(client)
    emulator.clear_log()
    sent = len(mail.outbox)
    run_worker()
    assert [a for a in emulator.actions() if a != "xtk:session#Logon"] == [
        "xtk:queryDef#ExecuteQuery",  # an open request for the address? none
        "nms:privacyRequest#CreateRequestByName",
        "xtk:queryDef#ExecuteQuery",  # its status: processing
    ]
    [filed] = emulator.state()["privacy_requests"]
    assert filed == {
        "id": filed["id"],
        "namespaceName": "defaultNamespace1",
        "reconciliationValue": "jane@example.com",
        "type": "2",
        "regulation": "gdpr",
        "confirmDeletePending": "0",
        "status": "processing",
    }
    assert [r["email"] for r in emulator.recipients()] == ["jane@example.com"]  # not yet erased
    assert PrivacyRequest.objects.get().campaign_reference == filed["id"]
    assert Change.objects.get(kind=Change.Kind.ERASE_PROFILE).failure == ""

    make_due()
    run_worker()
    assert emulator.state()["privacy_requests"][0]["status"] == "complete"
    assert emulator.recipients() == [] and emulator.subscriptions("jane@example.com") == set()
    [told] = [m for m in mail.outbox[sent:] if m.subject == "Your data has been deleted"]
    assert told.to == ["jane@example.com"]
    left = what_is_left("jane@example.com")
    assert left["subscribers with the address"] == 0 and left["requests with the address"] == 0
    assert left["hashes"] == 1 and left["consent records"] == 2


def test_a_retried_erasure_reuses_the_open_request(
    client: Client, emulator: V8Emulator, newsletter: Topic
) -> None:
    signed_up_jane(client, emulator, newsletter)
    press_delete(client)
    run_worker()
    # As if the worker died after filing: the request is filed again from scratch.
    PrivacyRequest.objects.update(status=PrivacyRequest.Status.RECEIVED, campaign_reference="")
    make_due()
    run_worker()
    assert len(emulator.state()["privacy_requests"]) == 1
    assert PrivacyRequest.objects.get().status == PrivacyRequest.Status.CONFIRMED
