"""The whole journey with CAMPAIGN_BACKEND=v8, in both auth modes, against the
SOAP emulator over real HTTP: sign-up, confirmation, the special offer, the
preferences page before and after staging is replicated, an update, opt-out."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.models import Change, Coupon, Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import html_of, link_in, run_worker, shown_in, sign_up
from tests.v8_support import V8Emulator, start

PENDING = "Your latest changes are saved"


@pytest.fixture(params=["ims", "logon"])
def emulator(
    request: pytest.FixtureRequest, settings: Any, live_server: Any, transactional_db: None
) -> V8Emulator:
    return start(settings, live_server.url, request.param)


def checked_topics(html: str) -> set[str]:
    boxes = re.findall(r'<input[^>]*name="topics"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', box).group(1) for box in boxes if " checked" in box}  # type: ignore[union-attr]


def preferences_page(client: Client) -> str:
    page = client.get("/preferences/edit/")
    assert page.status_code == 200
    return html_of(page)


def test_journey_on_v8(
    client: Client, emulator: V8Emulator, newsletter: Topic, offers: Topic, settings: Any
) -> None:
    sign_up(client, "jane@example.com", offers, first_name="Jane", last_name="Doe")
    run_worker()
    assert emulator.log() == []  # nothing reaches Campaign before confirmation

    # Confirm: the profile is ingested into staging, the topic subscribed, the offer mailed.
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()
    soap_calls = [a for a in emulator.actions() if a != "xtk:session#Logon"]
    assert soap_calls == [
        "xtk:session#IngestExt",  # the profile, _key="@email": an upsert, no lookup first
        "nms:subscription#Subscribe",
    ]
    assert emulator.actions().count("xtk:session#Logon") == (1 if settings.V8_AUTH == "logon" else 0)
    staged = emulator.state()["staging"]
    assert staged[0]["schema"] == "nms:recipientStg"
    assert staged[0]["key"] == ["email"]
    assert staged[0]["attributes"] == {
        "email": "jane@example.com",
        "firstName": "Jane",
        "lastName": "Doe",
        "language": "en_us",
        "blackListEmail": "0",
    }
    assert (staged[1]["operation"], staged[1]["service"]) == ("subscribe", "SPECIAL_OFFERS")
    assert emulator.recipients() == []  # staged, not replicated
    offer = mail.outbox[-1]
    coupon = Coupon.objects.get()
    assert coupon.code in offer.body
    assert Subscriber.objects.get().campaign_pkey == "jane@example.com"

    # Preferences before replication: Campaign has nothing yet; the page shows
    # what the person asked for, as pending.
    assert client.get(link_in(offer, "/preferences/")).status_code == 302
    calls_before = len(emulator.actions())
    html = preferences_page(client)
    # One query: the key is the address, so "not found by key" needs no second search by address.
    assert emulator.actions()[calls_before:] == ["xtk:queryDef#ExecuteQuery"]
    assert 'value="Jane"' in html
    assert checked_topics(html) == {"SPECIAL_OFFERS"}
    assert PENDING in html
    assert "change saved" in html

    # After the hourly workflow: read from Campaign, nothing pending.
    emulator.replicate()
    html = preferences_page(client)
    assert 'value="Jane"' in html
    assert checked_topics(html) == {"SPECIAL_OFFERS"}
    assert PENDING not in html
    assert emulator.subscriptions("jane@example.com") == {"SPECIAL_OFFERS"}

    # Update: new last name, add the newsletter. Delivered, staged: still pending.
    form = {
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.com",
        "language": "en",
        "shown": shown_in(html),
    }
    response = client.post("/preferences/edit/", {**form, "topics": ["SPECIAL_OFFERS", "NEWSLETTER"]})
    assert response.status_code == 303
    run_worker()
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()
    html = preferences_page(client)
    assert 'value="Smith"' in html
    assert checked_topics(html) == {"SPECIAL_OFFERS", "NEWSLETTER"}
    assert PENDING in html
    emulator.replicate()
    html = preferences_page(client)
    assert 'value="Smith"' in html
    assert checked_topics(html) == {"SPECIAL_OFFERS", "NEWSLETTER"}
    assert PENDING not in html

    # Opt out of everything (the "all email" link): blackListEmail through IngestExt.
    everything = f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=Subscriber.objects.get().public_id.hex)}/"
    assert client.post(everything, {"scope": "all"}).status_code == 303
    run_worker()
    assert emulator.actions()[-1] == "xtk:session#IngestExt"
    emulator.replicate()
    [recipient] = emulator.recipients()
    assert (recipient["email"], recipient["lastName"], recipient["blackListEmail"]) == (
        "jane@example.com",
        "Smith",
        "1",
    )
    html = preferences_page(client)
    assert "You have unsubscribed from all our emails" in html
    # Topics are not shown as if they were still sent (issue 14), and cannot be ticked.
    assert checked_topics(html) == set()
    assert all(" disabled" in box for box in re.findall(r'<input[^>]*name="topics"[^>]*>', html))
    assert "Subscribe me again" in html
