"""Download my data and delete me, on the `local` backend: what the file holds,
the fresh-link check, what an erasure leaves, and what happens after."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from signup_site.campaign.erasure import address_hash
from signup_site.campaign.models import (
    Change,
    ConsentRecord,
    ErasedAddress,
    LocalMessage,
    LocalProfile,
    PrivacyRequest,
    Subscriber,
    Topic,
)
from signup_site.campaign.privacy import sweep_evidence
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up
from tests.privacy_support import (
    download,
    links_made_ago,
    open_latest_preferences_link,
    press_delete,
    what_is_left,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    sign_up(client, "Jane@Example.com", newsletter, offers, first_name="Jane", last_name="Doe")
    confirm_latest(client)
    open_latest_preferences_link(client)
    return Subscriber.objects.get(email="jane@example.com")


def test_download_holds_the_campaign_profile_and_everything_the_site_keeps(
    client: Client, jane: Subscriber
) -> None:
    # Campaign is the system of record: what it holds is what the file shows.
    LocalProfile.objects.filter(email="jane@example.com").update(first_name="Janet")
    # A change still on its way to Campaign is in the file too.
    page = client.get("/preferences/edit/")
    from tests.helpers import shown_in

    client.post(
        "/preferences/edit/",
        {
            "shown": shown_in(html_of(page)),
            "first_name": "Janet",
            "last_name": "Smith",
            "email": "jane@example.com",
            "language": "en",
            "topics": ["NEWSLETTER", "SPECIAL_OFFERS"],
        },
    )
    data = download(client)
    assert data["campaign"]["available"] is True
    assert data["campaign"]["profile"] == {
        "email": "jane@example.com",
        "first_name": "Janet",
        "last_name": "Doe",
        "language": "en",
        "stopped_all_email": False,
    }
    assert [t["service"] for t in data["campaign"]["topics"]] == ["NEWSLETTER", "SPECIAL_OFFERS"]
    site = data["site"]
    assert site["subscriber"]["email"] == "jane@example.com"
    assert [record["kind"] for record in site["consent_evidence"]] == ["request", "confirmation"]
    assert site["consent_evidence"][0]["topics"] == ["NEWSLETTER", "SPECIAL_OFFERS"]
    assert len(site["consent_evidence"][0]["wording_sha256"]) == 64
    [coupon] = site["coupons"]
    assert coupon["topic"] == "SPECIAL_OFFERS" and coupon["code"].startswith("GIFT-")
    assert site["opt_outs"] == []
    [pending] = site["pending_changes"]
    assert pending["kind"] == "update_profile" and pending["data"] == {"last_name": "Smith"}


def test_download_says_so_when_campaign_cannot_be_read(
    client: Client, jane: Subscriber, settings: Settings
) -> None:
    settings.CAMPAIGN_BACKEND = "tests.backends.DownBackend"
    data = download(client)
    assert data["campaign"]["available"] is False
    assert "could not be reached" in data["campaign"]["note"]
    assert data["site"]["subscriber"]["first_name"] == "Jane"  # what the site keeps is there


def test_download_and_delete_act_only_on_a_post(client: Client, jane: Subscriber) -> None:
    assert client.get("/preferences/my-data/").status_code == 405
    assert client.get("/preferences/delete/").status_code == 200
    run_worker()
    assert (
        PrivacyRequest.objects.count() == 0 and Subscriber.objects.filter(email="jane@example.com").exists()
    )


def test_without_a_preferences_session_nothing_is_shown(client: Client, seeded: None) -> None:
    response = client.post("/preferences/my-data/")
    assert response.status_code == 302 and "/preferences/?expired=1" in response["Location"]


def test_a_stale_link_is_confirmed_again_by_email(
    client: Client, newsletter: Topic, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    settings.PRIVACY_LINK_MAX_AGE_MINUTES = 15
    links_made_ago(monkeypatch, 16 * 60)  # the email's links went out 16 minutes ago
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    confirm_latest(client)
    open_latest_preferences_link(client)
    monkeypatch.undo()
    sent = len(mail.outbox)

    for press in (
        lambda: client.post("/preferences/my-data/"),
        lambda: client.post("/preferences/delete/", {"confirm": "yes"}),
    ):
        response = press()
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "We sent you a fresh link" in html_of(response)
    run_worker()
    fresh = mail.outbox[sent:]
    assert [message.to for message in fresh] == [["jane@example.com"]] * 2
    assert PrivacyRequest.objects.count() == 0  # nothing was deleted on the stale link

    # The fresh link works at once.
    client.get(link_in(fresh[-1], "/preferences/"))
    assert download(client)["site"]["subscriber"]["email"] == "jane@example.com"


def test_delete_erases_here_and_in_campaign_and_says_so_by_email(client: Client, jane: Subscriber) -> None:
    page = press_delete(client)
    assert "Your data is being deleted" in page
    # Gone from the site at once, before Campaign has heard of it.
    assert client.get("/preferences/edit/").status_code == 302  # the session is over
    left = what_is_left("jane@example.com")
    assert left["subscribers with the address"] == 0
    assert left["erased tombstones"] == [
        {
            "email": f"erased-{jane.public_id.hex}@erased.invalid",
            "first_name": "",
            "last_name": "",
            "campaign_pkey": "",
        }
    ]
    assert left["coupons held"] == 0 and left["opt-outs"] == 0 and left["names on sign-ups"] == []

    sent = len(mail.outbox)
    run_worker()
    # The embedded Campaign forgot the profile and the messages it sent.
    assert not LocalProfile.objects.filter(email__iexact="jane@example.com").exists()
    assert not LocalMessage.objects.filter(email__iexact="jane@example.com").exists()
    [told] = mail.outbox[sent:]
    assert told.to == ["jane@example.com"] and told.subject == "Your data has been deleted"
    assert "List-Unsubscribe" not in told.extra_headers

    request = PrivacyRequest.objects.get()
    assert request.status == PrivacyRequest.Status.CONFIRMED and request.email == ""
    left = what_is_left("jane@example.com")
    assert left["changes naming the address"] == [] and left["requests with the address"] == 0
    # What is kept: the hash of the address, and the consent evidence (within retention).
    assert list(ErasedAddress.objects.values_list("address_hash", flat=True)) == [
        address_hash("JANE@example.com")
    ]
    assert left["consent records"] == 2


def test_links_of_an_erased_person_lead_nowhere(client: Client, jane: Subscriber) -> None:
    welcome = mail.outbox[-1]
    press_delete(client)
    run_worker()
    assert client.get(link_in(welcome, "/preferences/")).status_code == 400
    assert client.get(link_in(welcome, "/unsubscribe/")).status_code == 400


def test_a_later_sign_up_is_a_new_person_who_must_confirm(
    client: Client, jane: Subscriber, newsletter: Topic, settings: Settings
) -> None:
    press_delete(client)
    run_worker()
    settings.SIGNUP_DOUBLE_OPT_IN = False  # even so: an erased address confirms first
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    run_worker()
    assert mail.outbox[-1].subject == "Please confirm your sign-up"
    assert not LocalProfile.objects.filter(email="jane@example.com").exists()
    fresh = Subscriber.objects.get(email="jane@example.com")
    assert fresh.pk != jane.pk and fresh.status == Subscriber.Status.PENDING

    confirm_latest(client)
    assert LocalProfile.objects.filter(email="jane@example.com").count() == 1
    assert not ErasedAddress.objects.exists()  # a confirmed sign-up lifts the suppression


def test_the_sweeper_deletes_evidence_past_retention(
    client: Client, jane: Subscriber, settings: Settings
) -> None:
    settings.PRIVACY_EVIDENCE_RETENTION_DAYS = 30
    press_delete(client)
    run_worker()
    assert sweep_evidence() == 0  # within retention: kept
    assert ConsentRecord.objects.count() == 2

    assert sweep_evidence(timezone.now() + timedelta(days=31)) == 1
    assert ConsentRecord.objects.count() == 0
    assert not Subscriber.objects.exists() and not Change.objects.exists()
    assert ErasedAddress.objects.count() == 1  # the hash stays: the address stays suppressed
    request = PrivacyRequest.objects.get()
    assert request.subscriber is None and request.email == ""


def test_the_confirmation_reaches_a_real_mail_server(
    client: Client, jane: Subscriber, smtp_server: Any
) -> None:
    press_delete(client)
    run_worker()
    [received] = [r for r in smtp_server.received if "deleted" in str(r.message["Subject"])]
    assert received.rcpt_to == ["jane@example.com"]
    assert "we have deleted your profile" in received.part("plain")
    assert "list-unsubscribe" not in received.header_lines()


def test_the_privacy_pages_and_email_speak_the_persons_language(client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="es")
    confirm_latest(client)
    open_latest_preferences_link(client)
    assert "Descargar mis datos" in html_of(client.get("/preferences/edit/"))
    assert "Sí, borrar mis datos" in html_of(client.get("/preferences/delete/"))
    assert "Estamos borrando tus datos" in html_of(
        client.post("/preferences/delete/", {"confirm": "yes"}, follow=True)
    )
    run_worker()
    assert mail.outbox[-1].subject == "Hemos borrado tus datos"


def test_the_admin_shows_each_requests_state_read_only(client: Client, jane: Subscriber) -> None:
    from django.contrib.auth.models import User

    press_delete(client)
    admin = Client()
    admin.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    listing = html_of(admin.get("/admin/campaign/privacyrequest/"))
    assert "Received" in listing and "jane@example.com" not in listing
    run_worker()
    request = PrivacyRequest.objects.get()
    listing = html_of(admin.get("/admin/campaign/privacyrequest/"))
    assert "Erased; the person was told" in listing and "complete" in listing
    detail = admin.get(f"/admin/campaign/privacyrequest/{request.pk}/change/")
    assert detail.status_code == 200 and b'name="status"' not in detail.content  # nothing to edit
    assert admin.get("/admin/campaign/privacyrequest/add/").status_code == 403
