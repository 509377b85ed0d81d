"""Update your Profile and Preference Details: read by PKey, PATCH only what
changed, email change, 503 while Campaign is down, and email-me-my-link."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.models import LocalProfile, LocalSubscription, PendingEmailChange, Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.backends import RecordingBackend
from tests.helpers import confirm_latest, html_of, link_in, run_worker, shown_in, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane", last_name="Doe", language="en")
    confirm_latest(client)
    return Subscriber.objects.get(email="jane@example.com")


def open_preferences(client: Client) -> str:
    """Follow the Update Details link of the latest email; returns the page's HTML."""
    link = link_in(mail.outbox[-1], "/preferences/")
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == "/preferences/edit/"  # the token is gone from the URL
    page = client.get("/preferences/edit/")
    assert page.status_code == 200
    return html_of(page)


def form_data(page: str, **overrides: object) -> dict[str, object]:
    """The form as a browser sends it from `page` (its snapshot included), with `overrides`."""
    data: dict[str, object] = {
        "shown": shown_in(page),
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "language": "en",
        "topics": ["NEWSLETTER"],
    }
    data.update(overrides)
    return data


def checked_topics(html: str) -> set[str]:
    """The topics whose checkbox is ticked on a page."""
    boxes = re.findall(r'<input[^>]*name="topics"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', box).group(1) for box in boxes if " checked" in box}  # type: ignore[union-attr]


def subscriptions_of(email: str) -> set[str]:
    return set(LocalSubscription.objects.filter(profile__email=email).values_list("service__name", flat=True))


def test_page_is_prefilled_from_campaign(client: Client, jane: Subscriber) -> None:
    # Campaign is the system of record: a change made there shows here.
    LocalProfile.objects.filter(email="jane@example.com").update(first_name="Janet")
    html = open_preferences(client)
    assert 'value="Janet"' in html
    assert 'value="Doe"' in html
    assert 'value="jane@example.com"' in html
    assert checked_topics(html) == {"NEWSLETTER"}
    assert "Update your Profile and Preference Details" in html


def test_update_patches_only_changed_fields_and_topics(
    client: Client, jane: Subscriber, settings: Settings
) -> None:
    settings.CAMPAIGN_BACKEND = "tests.backends.RecordingBackend"
    RecordingBackend.calls.clear()
    page = open_preferences(client)
    response = client.post(
        "/preferences/edit/", form_data(page, last_name="Smith", topics=["SPECIAL_OFFERS"])
    )
    assert response.status_code == 303  # Post/Redirect/Get
    run_worker()

    updates = [
        call for call in RecordingBackend.calls if call[0] in {"update_profile", "subscribe", "unsubscribe"}
    ]
    assert updates == [
        ("update_profile", {"last_name": "Smith"}),
        ("subscribe", "SPECIAL_OFFERS"),
        ("unsubscribe", "NEWSLETTER"),
    ]
    assert LocalProfile.objects.get().last_name == "Smith"
    assert subscriptions_of("jane@example.com") == {"SPECIAL_OFFERS"}
    page = html_of(client.get("/preferences/edit/"))
    assert "Updated your last name." in page
    assert "Subscribed to Email Special Offers." in page
    assert "Unsubscribed from Newsletter." in page


def test_topics_not_offered_are_never_touched(client: Client, jane: Subscriber, newsletter: Topic) -> None:
    hidden = Topic.objects.create(slug="vip", label="VIP", service_name="VIP", active=False)
    from signup_site.campaign.models import LocalService

    service = LocalService.objects.create(name="VIP", label="VIP")
    LocalSubscription.objects.create(profile=LocalProfile.objects.get(), service=service)
    html = open_preferences(client)
    assert "VIP" not in html
    client.post("/preferences/edit/", form_data(html, topics=[]))
    run_worker()
    assert subscriptions_of("jane@example.com") == {"VIP"}
    assert hidden.pk


def test_nothing_changed_sends_nothing(client: Client, jane: Subscriber, settings: Settings) -> None:
    settings.CAMPAIGN_BACKEND = "tests.backends.RecordingBackend"
    RecordingBackend.calls.clear()
    page = open_preferences(client)
    client.post("/preferences/edit/", form_data(page))
    run_worker()
    assert RecordingBackend.calls == []
    assert "Nothing changed." in html_of(client.get("/preferences/edit/"))


def test_changed_profile_key_is_resolved_again_by_email(client: Client, jane: Subscriber) -> None:
    # Campaign migrated: the cached PKey no longer exists.
    LocalProfile.objects.update(pkey="@migrated-key")
    html = open_preferences(client)
    assert 'value="Jane"' in html
    assert Subscriber.objects.get().campaign_pkey == "@migrated-key"


def test_pending_update_shows_before_campaign_has_it(client: Client, jane: Subscriber) -> None:
    page = open_preferences(client)
    client.post("/preferences/edit/", form_data(page, first_name="Janine"))
    # The worker has not run: Campaign still says Jane.
    html = html_of(client.get("/preferences/edit/"))
    assert 'value="Janine"' in html
    assert "Your latest changes are saved" in html


def test_email_change_applies_only_after_new_address_confirms(client: Client, jane: Subscriber) -> None:
    page = open_preferences(client)
    client.post("/preferences/edit/", form_data(page, email="Jane.New@Example.com"))
    run_worker()

    confirmation = mail.outbox[-1]
    assert confirmation.to == ["jane.new@example.com"]
    assert LocalProfile.objects.get().email == "jane@example.com"
    assert Subscriber.objects.get().email == "jane@example.com"
    confirm = link_in(confirmation, "/preferences/email/")

    assert client.get(confirm).status_code == 200  # a link scanner changes nothing
    run_worker()
    assert LocalProfile.objects.get().email == "jane@example.com"

    assert client.post(confirm).status_code == 303  # to the result page (PRG)
    run_worker()
    assert LocalProfile.objects.get().email == "jane.new@example.com"
    assert Subscriber.objects.get().email == "jane.new@example.com"
    told = mail.outbox[-1]
    assert told.to == ["jane@example.com"]
    assert "changed" in told.subject.lower()
    assert "/preferences/" not in told.body  # the old address gets no way in


def test_email_change_to_an_address_already_subscribed_is_refused(
    client: Client, jane: Subscriber, newsletter: Topic
) -> None:
    Subscriber.objects.create(email="taken@example.com", person_key="taken@example.com")
    mail.outbox.clear()
    sign_up(client, "jane@example.com", newsletter)  # fresh mail with links
    run_worker()
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    page = html_of(client.get("/preferences/edit/"))
    client.post("/preferences/edit/", form_data(page, email="taken@example.com"))
    run_worker()
    response = client.post(link_in(mail.outbox[-1], "/preferences/email/"))
    assert response.status_code == 409
    assert Subscriber.objects.get(pk=jane.pk).email == "jane@example.com"
    assert PendingEmailChange.objects.get().confirmed_at is None


def test_campaign_unreachable_gives_503_and_keeps_the_update(
    client: Client, jane: Subscriber, settings: Settings
) -> None:
    opened = open_preferences(client)
    settings.CAMPAIGN_BACKEND = "tests.backends.DownBackend"
    from signup_site.campaign.backends import reset_backends

    reset_backends()
    response = client.get("/preferences/edit/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Nothing you sent has been lost" in html_of(response)

    # The form the person already had open still goes through, and is kept.
    response = client.post("/preferences/edit/", form_data(opened, last_name="Kept"))
    assert response.status_code == 303
    page = client.get("/preferences/edit/")
    assert page.status_code == 503
    assert "Updated your last name." in html_of(page)

    settings.CAMPAIGN_BACKEND = "local"
    reset_backends()
    run_worker()
    assert LocalProfile.objects.get().last_name == "Kept"


def test_a_second_update_sent_while_campaign_is_down_is_kept_too(
    client: Client, jane: Subscriber, settings: Settings
) -> None:
    """Update, see the 503 page, go Back, change something else, Update again:
    nothing may be dropped (the second POST used to answer 503 and write nothing)."""
    from signup_site.campaign.backends import reset_backends

    opened = open_preferences(client)
    settings.CAMPAIGN_BACKEND = "tests.backends.DownBackend"
    reset_backends()
    assert client.post("/preferences/edit/", form_data(opened, last_name="First")).status_code == 303
    assert client.get("/preferences/edit/").status_code == 503
    second = client.post("/preferences/edit/", form_data(opened, last_name="First", first_name="Second"))
    assert second.status_code == 303
    assert "Updated your first name." in html_of(client.get("/preferences/edit/"))

    settings.CAMPAIGN_BACKEND = "local"
    reset_backends()
    run_worker()
    profile = LocalProfile.objects.get()
    assert (profile.first_name, profile.last_name) == ("Second", "First")


def test_a_snapshot_is_only_good_for_its_own_person(
    client: Client, jane: Subscriber, newsletter: Topic
) -> None:
    opened = open_preferences(client)
    sign_up(client, "other@example.com", newsletter, first_name="Other")
    confirm_latest(client)
    other = open_preferences(client)  # the session is now the other person's
    forged = form_data(other, first_name="Hijack")
    forged["shown"] = shown_in(opened)  # Jane's snapshot, sent for the other person
    response = client.post("/preferences/edit/", forged)
    assert response.status_code == 200  # not taken: the page is shown again, read afresh
    run_worker()
    assert LocalProfile.objects.get(email="other@example.com").first_name == "Other"


def test_validation_error_keeps_input(client: Client, jane: Subscriber) -> None:
    page = open_preferences(client)
    response = client.post("/preferences/edit/", form_data(page, email="nope", first_name="Typed"))
    html = html_of(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'value="Typed"' in html
    assert 'value="nope"' in html


@pytest.mark.parametrize("purpose", [Purpose.UNSUBSCRIBE, Purpose.CONFIRM, Purpose.EMAIL_CHANGE])
def test_wrong_purpose_token_on_preferences_url(client: Client, jane: Subscriber, purpose: Purpose) -> None:
    token = make_token(purpose, s=jane.public_id.hex, p=jane.public_id.hex, c=jane.public_id.hex)
    visitor = Client()  # not the browser that confirmed (its session leads to the preferences)
    response = visitor.get(f"/preferences/{token}/")
    assert response.status_code == 400
    assert "jane" not in response.content.decode().lower()
    assert visitor.get("/preferences/edit/").status_code == 302  # no session was started


def test_tampered_preferences_token(client: Client, jane: Subscriber) -> None:
    link = link_in(mail.outbox[-1], "/preferences/")
    response = client.get(link[:-5] + "AAAA/")
    assert response.status_code == 400
    assert "Jane" not in response.content.decode()


def test_expired_preferences_link_leads_to_fresh_link_page(client: Client, jane: Subscriber) -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 90 * 24 * 3600):
        token = make_token(Purpose.PREFERENCES, s=jane.public_id.hex)
    response = client.get(f"/preferences/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/preferences/?expired=1"
    assert "That link has expired" in html_of(client.get(response["Location"]))


def test_without_session_edit_page_offers_fresh_link(client: Client, seeded: None) -> None:
    response = client.get("/preferences/edit/")
    assert response.status_code == 302
    assert response["Location"] == "/preferences/?expired=1"


def test_email_me_my_link_same_answer_and_link_works(client: Client, jane: Subscriber) -> None:
    mail.outbox.clear()
    known = client.post("/preferences/", {"email": "JANE@example.com"})
    unknown = client.post("/preferences/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 303
    assert known["Location"] == unknown["Location"]
    assert "If that address is signed up" in html_of(client.get(known["Location"]))
    run_worker()
    assert [m.to for m in mail.outbox] == [["jane@example.com"]]
    link = link_in(mail.outbox[0], "/preferences/")
    assert client.get(link).status_code == 302
    assert client.get("/preferences/edit/").status_code == 200


def test_email_me_my_link_knows_the_address_however_it_is_spelled(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@café.example", newsletter)
    confirm_latest(client)
    mail.outbox.clear()
    for spelling in ("JANE@xn--caf-dma.example", "jane@cafe\u0301.example"):
        client.post("/preferences/", {"email": spelling})
    run_worker()
    assert [m.to for m in mail.outbox] == [["jane@xn--caf-dma.example"]] * 2


def test_email_change_to_another_spelling_of_a_subscribed_address_is_refused(
    client: Client, jane: Subscriber
) -> None:
    Subscriber.objects.create(email="taken@xn--caf-dma.example", person_key="taken@xn--caf-dma.example")
    page = open_preferences(client)
    client.post("/preferences/edit/", form_data(page, email="Taken@CAFÉ.example"))
    run_worker()
    assert mail.outbox[-1].to == ["taken@xn--caf-dma.example"]
    response = client.post(link_in(mail.outbox[-1], "/preferences/email/"))
    assert response.status_code == 409
    assert Subscriber.objects.get(pk=jane.pk).email == "jane@example.com"


def test_preferences_page_speaks_the_subscribers_language(client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="es")
    confirm_latest(client)
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    response = client.get("/preferences/edit/")
    assert response["Content-Language"] == "es"
    assert 'lang="es"' in html_of(response)
