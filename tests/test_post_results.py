"""Issue 14 item 2, the rest: confirming a sign-up, confirming a new email
address and deleting my data answer 303 to a GET page that reloads, switches
language and survives Back; a GET of it never acts, and it is reached only
through the signed link (or signed value) of the POST that led there."""

import time
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from signup_site.campaign.models import ConsentRecord, PendingEmailChange, PendingSignup, Subscriber, Topic
from signup_site.web.privacy import DELETED_SALT
from tests.helpers import assert_get_able, html_of, link_in, run_worker, shown_in, sign_up
from tests.privacy_support import open_latest_preferences_link

pytestmark = pytest.mark.django_db


def confirm_path(client: Client, newsletter: Topic) -> str:
    sign_up(client, "sam@example.com", newsletter, first_name="Sam", language="en")
    run_worker()
    return link_in(mail.outbox[-1], "/confirm/")


def test_confirming_answers_303_to_a_confirmed_page_that_reloads_and_switches(
    client: Client, newsletter: Topic
) -> None:
    path = confirm_path(client, newsletter)
    response = client.post(path)
    assert response.status_code == 303
    location = response["Location"]
    assert location == f"{path}done/"
    assert_get_able(
        client, location, "Thank you, you are signed up", "Gracias, tu suscripción está confirmada"
    )
    assert 'role="status"' in html_of(client.get(location))
    # Reloading confirmed nothing again.
    assert ConsentRecord.objects.filter(kind=ConsentRecord.Kind.CONFIRMATION).count() == 1
    # The next step still works: the POST let this browser into its preferences.
    assert client.get("/preferences/edit/").status_code == 200


def test_the_confirmed_page_of_an_unconfirmed_sign_up_leads_to_its_button(
    client: Client, newsletter: Topic
) -> None:
    path = confirm_path(client, newsletter)
    response = client.get(f"{path}done/")  # a link scanner, or a guess
    assert response.status_code == 302
    assert response["Location"] == path
    assert PendingSignup.objects.get().confirmed_at is None
    assert Subscriber.objects.get().status != Subscriber.Status.CONFIRMED


def test_the_confirmed_page_needs_a_genuine_confirm_token(client: Client, newsletter: Topic) -> None:
    path = confirm_path(client, newsletter)
    client.post(path)
    response = client.get(f"{path[:-5]}xx/done/")
    assert response.status_code == 400
    assert "Thank you, you are signed up" not in html_of(response)


def test_the_confirmed_page_still_shows_the_gift_coupon_after_a_reload(client: Client, offers: Topic) -> None:
    sign_up(client, "sam@example.com", offers, language="en")
    run_worker()
    location = client.post(link_in(mail.outbox[-1], "/confirm/"))["Location"]
    for _ in range(2):
        page = html_of(client.get(location))
        assert "Your gift coupon is on its way to your inbox." in page
        assert "We have sent you a welcome email." not in page


@pytest.fixture
def new_address_link(client: Client, newsletter: Topic) -> str:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    run_worker()
    client.post(link_in(mail.outbox[-1], "/confirm/"))
    run_worker()
    open_latest_preferences_link(client)
    page = html_of(client.get("/preferences/edit/"))
    data = {
        "shown": shown_in(page),
        "first_name": "Jane",
        "last_name": "",
        "email": "jane.new@example.com",
        "language": "en",
        "topics": ["NEWSLETTER"],
    }
    assert client.post("/preferences/edit/", data).status_code == 303
    run_worker()
    return link_in(mail.outbox[-1], "/preferences/email/")


def test_confirming_a_new_address_answers_303_to_a_page_that_reloads_and_switches(
    client: Client, new_address_link: str
) -> None:
    response = client.post(new_address_link)
    assert response.status_code == 303
    location = response["Location"]
    assert location == f"{new_address_link}done/"
    assert_get_able(client, location, "Your email address is changed", "Tu dirección de correo ha cambiado")
    assert Subscriber.objects.get().email == "jane.new@example.com"
    told = [message for message in mail.outbox if message.to == ["jane@example.com"]]
    run_worker()
    assert len([message for message in mail.outbox if message.to == ["jane@example.com"]]) == len(told) + 1


def test_the_changed_page_of_an_unconfirmed_change_leads_to_its_button(
    client: Client, new_address_link: str
) -> None:
    response = client.get(f"{new_address_link}done/")
    assert response.status_code == 302
    assert response["Location"] == new_address_link
    assert PendingEmailChange.objects.get().confirmed_at is None
    assert Subscriber.objects.get().email == "jane@example.com"


def test_deleting_answers_303_to_a_page_that_reloads_and_switches_without_the_session(
    client: Client, newsletter: Topic
) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    run_worker()
    client.post(link_in(mail.outbox[-1], "/confirm/"))
    run_worker()
    open_latest_preferences_link(client)
    response = client.post("/preferences/delete/", {"confirm": "yes"})
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/preferences/deleted/")
    assert_get_able(client, location, "Your data is being deleted", "Estamos borrando tus datos")
    page = html_of(client.get(location))
    assert "jane" not in page.lower()
    # The session ended: the preferences are closed, the page still shows.
    assert client.get("/preferences/edit/").status_code == 302
    assert Client().get(location).status_code == 200


def test_the_deleted_page_cannot_be_reached_by_guessing(client: Client) -> None:
    for guess in ("/preferences/deleted/", "/preferences/deleted/yes/", "/preferences/deleted/1/"):
        response = client.get(guess)
        assert response.status_code in (400, 404)
        assert "Your data is being deleted" not in html_of(response)


def test_an_old_deleted_page_leads_to_the_sign_up_page(client: Client) -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3 * 24 * 3600):
        location = reverse("prefs-deleted", args=[signing.dumps({"l": "es"}, salt=DELETED_SALT)])
    response = client.get(location)
    assert response.status_code == 302
    assert response["Location"] == "/signup/"


def test_email_me_my_link_ends_on_a_page_one_can_reload_and_switch(client: Client, seeded: None) -> None:
    """'Email me my link': the POST answers 303 to the same GET page for a
    known and an unknown address (it tells nothing), which reloads without
    sending again and switches language."""
    sign_up(client, "jane@example.com", Topic.objects.get(slug="newsletter"))
    known = client.post("/preferences/", {"email": "jane@example.com"})
    unknown = client.post("/preferences/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 303
    assert known["Location"] == unknown["Location"] == reverse("prefs-link-sent")
    run_worker()
    sent = len(mail.outbox)
    assert_get_able(client, known["Location"], "Check your email", "Revisa tu correo")
    run_worker()
    assert len(mail.outbox) == sent  # reloading the page asks for nothing
