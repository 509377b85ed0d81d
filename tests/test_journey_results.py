"""Issue 14 (items 2-4): every POST on the unsubscribe journey and the
preferences save answers 303 to a GET page that reloads, switches language
and survives Back; the state it shows is carried signed, never guessable; the
unsubscribe page names its address (masked) and leads to the person's own
preferences; the preferences page offers "unsubscribe from all" and is honest
while the person is suppressed."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.models import Change, LocalProfile, OptOut, Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import assert_get_able, confirm_latest, html_of, link_in, run_worker, shown_in, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    sign_up(client, "sam@example.com", newsletter, first_name="Sam", language="en")
    confirm_latest(client)
    return Subscriber.objects.get(email="sam@example.com")


def unsubscribe_path(subscriber: Subscriber, topic: Topic | None = None) -> str:
    payload = {"s": subscriber.public_id.hex}
    if topic:
        payload["t"] = topic.slug
    return f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, **payload)}/"


def test_unsubscribe_answers_303_to_a_goodbye_page_that_reloads_and_switches(
    client: Client, sam: Subscriber
) -> None:
    response = client.post(unsubscribe_path(sam), {"scope": "all"})
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith("/unsubscribe/")
    assert_get_able(client, location, "You are unsubscribed", "Te has dado de baja")
    assert OptOut.objects.count() == 1  # reloading did not act again


def test_reason_and_undo_answer_303_to_their_result(client: Client, sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    goodbye = client.post(path, {"scope": "all"})["Location"]
    optout = OptOut.objects.get()
    thanked = client.post(f"{path}reason/", {"optout": str(optout.public_id), "reason": "too_many"})
    assert thanked.status_code == 303
    assert_get_able(client, thanked["Location"], "Thank you for telling us.", "Gracias por contárnoslo.")

    undone = client.post(f"{path}undo/", {"optout": str(optout.public_id)})
    assert undone.status_code == 303
    assert_get_able(
        client, undone["Location"], "Welcome back: you are subscribed again", "Nos alegra que vuelvas"
    )
    # Back to the goodbye page tells the truth now: subscribed again.
    assert "Welcome back" in html_of(client.get(goodbye))
    run_worker()
    assert LocalProfile.objects.get().black_list_email is False


def test_sending_the_reason_form_empty_is_thanked_too(client: Client, sam: Subscriber) -> None:
    """The reason is optional: pressing Send with nothing chosen still ends on a
    thank-you (reloadable, switchable), not on the same form again."""
    path = unsubscribe_path(sam)
    client.post(path, {"scope": "all"})
    optout = OptOut.objects.get()
    thanked = client.post(
        f"{path}reason/", {"optout": str(optout.public_id), "reason": "", "reason_text": ""}
    )
    assert thanked.status_code == 303
    assert_get_able(client, thanked["Location"], "Thank you for telling us.", "Gracias por contárnoslo.")
    assert "Why did you unsubscribe?" not in html_of(client.get(thanked["Location"]))


def test_a_result_page_cannot_be_reached_by_guessing(
    client: Client, sam: Subscriber, newsletter: Topic
) -> None:
    path = unsubscribe_path(sam)
    location = client.post(path, {"scope": "all"})["Location"]
    optout = OptOut.objects.get()
    # The optout's own id in place of the signed value: refused.
    assert client.get(f"{path}done/{optout.public_id.hex}/").status_code == 400
    assert client.get(f"{path}done/{optout.public_id}/").status_code == 400
    # A genuine result under another person's link: refused.
    sign_up(client, "other@example.com", newsletter)
    confirm_latest(client)
    other = Subscriber.objects.get(email="other@example.com")
    result = location.rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"{unsubscribe_path(other)}done/{result}/")
    assert response.status_code == 400
    assert "You are unsubscribed" not in html_of(response)


def test_an_old_result_page_leads_back_to_the_unsubscribe_page(client: Client, sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 3 * 24 * 3600):
        location = client.post(path, {"scope": "all"})["Location"]
    response = client.get(location)
    assert response.status_code == 302
    assert response["Location"] == path


def test_an_invalid_reason_switches_language_to_the_goodbye_page(client: Client, sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    goodbye = client.post(path, {"scope": "all"})["Location"]
    optout = OptOut.objects.get()
    response = client.post(f"{path}reason/", {"optout": str(optout.public_id), "reason": "made-up"})
    assert response.status_code == 200
    page = html_of(response)
    assert "Choose a reason from the list" in page
    assert f'href="{goodbye}?lang=es"' in page  # not "?lang=es" on the POST-only /reason/ URL


def test_unsubscribe_page_names_the_address_masked_and_links_to_own_preferences(
    client: Client, sam: Subscriber
) -> None:
    path = unsubscribe_path(sam)
    page = html_of(client.get(path))
    assert "s•••@e•••.com" in page
    assert "sam@example.com" not in page
    assert 'href="/preferences/"' not in page  # not the "email me my link" form, nor in the footer
    link = re.search(r'href="([^"]+)">Change what you receive instead', page)
    assert link is not None
    response = client.get(link.group(1))
    assert response.status_code == 302
    assert response["Location"] == "/preferences/edit/"
    prefs = client.get("/preferences/edit/")
    assert prefs.status_code == 200
    assert 'value="sam@example.com"' in html_of(prefs)
    assert not OptOut.objects.exists()  # following it changed nothing


def test_an_unsubscribe_link_older_than_a_preferences_link_offers_a_fresh_one(sam: Subscriber) -> None:
    client = Client()  # a browser with no session yet
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 40 * 24 * 3600):
        path = unsubscribe_path(sam)
    response = client.get(f"{path}preferences/")
    assert response.status_code == 302
    assert response["Location"] == "/preferences/?expired=1"
    assert client.get("/preferences/edit/").status_code == 302  # no session was started


def open_preferences(client: Client) -> str:
    assert client.get(link_in(mail.outbox[-1], "/preferences/")).status_code == 302
    return html_of(client.get("/preferences/edit/"))


def form_data(page: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "shown": shown_in(page),
        "first_name": "Sam",
        "last_name": "",
        "email": "sam@example.com",
        "language": "en",
        "topics": ["NEWSLETTER"],
    }
    data.update(overrides)
    return data


def test_preferences_save_answers_303_to_a_page_that_reloads_and_switches(
    client: Client, sam: Subscriber
) -> None:
    page = open_preferences(client)
    response = client.post("/preferences/edit/", form_data(page, first_name="Samuel"))
    assert response.status_code == 303
    assert response["Location"] == "/preferences/edit/"
    first = client.get("/preferences/edit/")
    assert "Updated your first name." in html_of(first)
    assert_get_able(client, "/preferences/edit/", "Update your Profile", "Actualiza tu perfil")


def test_unsubscribe_from_all_on_the_preferences_page(client: Client, sam: Subscriber) -> None:
    page = open_preferences(client)
    form = re.search(r'<form method="post" action="/preferences/unsubscribe/">.*?</form>', page, re.S)
    assert form is not None and "Unsubscribe from all emails" in form.group(0)
    response = client.post("/preferences/unsubscribe/")
    assert response.status_code == 303
    optout = OptOut.objects.get()
    assert (optout.topic, optout.via) == (None, OptOut.Via.PREFERENCES)
    assert optout.change is not None and optout.change.payload == {"blacklist_email": True}
    assert_get_able(client, response["Location"], "Undo: keep me subscribed", "Te has dado de baja")
    run_worker()
    assert LocalProfile.objects.get().black_list_email is True
    # Its undo works like the unsubscribe page's.
    goodbye = html_of(client.get(response["Location"]))
    undo = re.search(r'action="([^"]+/undo/)"', goodbye)
    assert undo is not None
    assert client.post(undo.group(1), {"optout": str(optout.public_id)}).status_code == 303
    run_worker()
    assert LocalProfile.objects.get().black_list_email is False


def test_unsubscribe_from_all_needs_a_session_and_a_post(client: Client, sam: Subscriber) -> None:
    assert client.get("/preferences/unsubscribe/").status_code == 405
    assert Client().post("/preferences/unsubscribe/").status_code == 302  # no session: fresh link
    assert not OptOut.objects.exists()


def checked_topics(html: str) -> set[str]:
    boxes = re.findall(r'<input[^>]*name="topics"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', box).group(1) for box in boxes if " checked" in box}  # type: ignore[union-attr]


def test_while_suppressed_topics_are_unticked_and_saving_does_not_pretend(
    client: Client, sam: Subscriber
) -> None:
    client.post(unsubscribe_path(sam), {"scope": "all"})
    run_worker()
    page = open_preferences(client)
    assert checked_topics(page) == set()
    boxes = re.findall(r'<input[^>]*name="topics"[^>]*>', page)
    assert boxes and all(" disabled" in box for box in boxes)
    assert "Subscribe me again" in page
    assert "Unsubscribe from all emails" not in page  # already
    changes_before = Change.objects.count()
    response = client.post("/preferences/edit/", form_data(page, topics=["NEWSLETTER", "SPECIAL_OFFERS"]))
    after = html_of(client.get(response["Location"]))
    assert "Subscribed to" not in after
    assert Change.objects.count() == changes_before
    assert OptOut.objects.get().ended_at is None
    # Other fields still save.
    client.post("/preferences/edit/", form_data(page, first_name="Samuel"))
    assert "Updated your first name." in html_of(client.get("/preferences/edit/"))
    assert OptOut.objects.get().ended_at is None


def test_the_goodbye_link_minted_on_the_preferences_page_keeps_the_age_of_the_email(sam: Subscriber) -> None:
    """The unsubscribe link made for the goodbye page must not open a session
    younger than the one it came from: downloading data needs a recent email."""
    client = Client()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 2 * 3600):
        prefs_link = f"/preferences/{make_token(Purpose.PREFERENCES, s=sam.public_id.hex)}/"
    assert client.get(prefs_link).status_code == 302
    goodbye = client.post("/preferences/unsubscribe/")["Location"]
    token = goodbye.split("/")[2]
    elsewhere = Client()
    assert elsewhere.get(f"/unsubscribe/{token}/preferences/")["Location"] == "/preferences/edit/"
    response = elsewhere.post("/preferences/my-data/")
    assert "attachment" not in response.get("Content-Disposition", "")
    assert "We sent you a fresh link" in html_of(response)


def test_blacklisted_in_campaign_alone_the_page_is_honest_too(client: Client, sam: Subscriber) -> None:
    """Campaign says blackListEmail (an operator, a bounce) with no opt-out
    here: the page shows it, and a forged tick subscribes no one."""
    LocalProfile.objects.update(black_list_email=True)
    page = open_preferences(client)
    assert "Subscribe me again" in page
    assert checked_topics(page) == set()
    changes_before = Change.objects.count()
    response = client.post("/preferences/edit/", form_data(page, topics=["NEWSLETTER", "SPECIAL_OFFERS"]))
    assert "Subscribed to" not in html_of(client.get(response["Location"]))
    assert Change.objects.count() == changes_before
