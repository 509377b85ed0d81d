"""The honeypot and the ALTCHA proof of work on every emailing form."""

import base64
import json
import re

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.models import Change, PendingSignup, Subscriber, Topic
from tests.abuse import post_signup, solved_proof
from tests.helpers import confirm_latest, html_of, link_in, run_worker, shown_in, sign_up, take_in_requests

pytestmark = pytest.mark.django_db

REPLAYED = "was already used"


@pytest.fixture(autouse=True)
def _cheap_proof(settings: Settings) -> None:
    settings.ALTCHA_COST = 20


@pytest.mark.parametrize("path", ["/signup/", "/preferences/"])
def test_every_emailing_form_has_a_honeypot_hidden_from_people_and_the_widget(
    client: Client, seeded: None, path: str
) -> None:
    html = html_of(client.get(path))
    honeypot = re.search(r'<div class="hp-field" aria-hidden="true">(.*?)</div>', html)
    assert honeypot, html
    field = re.search(r"<input[^>]*name=\"homepage\"[^>]*>", honeypot.group(1))
    assert field and 'tabindex="-1"' in field.group(0) and 'autocomplete="off"' in field.group(0)
    assert '<altcha-widget challenge="/challenge/" name="altcha"' in html
    assert "/static/altcha/external/altcha.min.js" in html


def test_the_preferences_form_has_the_honeypot(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter)
    confirm_latest(client)
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    assert 'name="homepage"' in html_of(client.get("/preferences/edit/"))


def test_a_bot_filling_the_honeypot_gets_the_same_answer_and_nothing_is_stored_or_sent(
    client: Client, newsletter: Topic
) -> None:
    response = client.post(
        "/signup/",
        {
            "email": "bot@example.com",
            "language": "en",
            "topics": [str(newsletter.pk)],
            "homepage": "http://spam",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    sign_up(client, "known@example.com", newsletter)
    before = Change.objects.count()
    link = client.post("/preferences/", {"email": "known@example.com", "homepage": "x"})
    assert link.status_code == 303 and link["Location"] == "/preferences/sent/"
    assert "Check your email" in html_of(client.get(link["Location"]))
    run_worker()
    assert not Subscriber.objects.filter(email="bot@example.com").exists()
    assert Change.objects.count() == before
    assert [m.to for m in mail.outbox] == [["known@example.com"]]  # only the real sign-up's


def test_a_bot_filling_the_honeypot_on_the_preferences_page_changes_nothing(
    client: Client, newsletter: Topic
) -> None:
    sign_up(client, "jane@example.com", newsletter)
    confirm_latest(client)
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    page = html_of(client.get("/preferences/edit/"))
    sent = len(mail.outbox)
    data = {"shown": shown_in(page), "email": "victim@example.org", "language": "en", "homepage": "x"}
    assert client.post("/preferences/edit/", data).status_code == 303
    run_worker()
    assert len(mail.outbox) == sent


def test_the_challenge_is_never_cached_and_fresh_each_time(client: Client, db: None) -> None:
    first, second = client.get("/challenge/"), client.get("/challenge/")
    assert "no-cache" in first["Cache-Control"] and "no-store" in first["Cache-Control"]
    assert first.json()["parameters"]["salt"] != second.json()["parameters"]["salt"]
    assert first.json()["signature"]


def test_a_solution_is_accepted_once_and_its_replay_refused(client: Client, newsletter: Topic) -> None:
    proof = solved_proof(client)
    assert post_signup(client, "once@example.com", newsletter, proof=proof) == 302
    replay = client.post(
        "/signup/",
        {"email": "twice@example.com", "language": "en", "topics": [str(newsletter.pk)], "altcha": proof},
    )
    assert replay.status_code == 200
    assert REPLAYED in html_of(replay)
    assert 'value="twice@example.com"' in html_of(replay)
    take_in_requests()
    assert list(PendingSignup.objects.values_list("subscriber__email", flat=True)) == ["once@example.com"]


def test_a_replayed_solution_is_refused_on_email_me_my_link_too(client: Client, newsletter: Topic) -> None:
    proof = solved_proof(client)
    assert client.post("/preferences/", {"email": "a@example.com", "altcha": proof}).status_code == 303
    replay = client.post("/preferences/", {"email": "a@example.com", "altcha": proof})
    assert REPLAYED in html_of(replay)


def forged(proof: str, **parameters: object) -> str:
    data = json.loads(base64.b64decode(proof))
    data["challenge"]["parameters"].update(parameters)
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda proof: forged(proof, cost=1),
        lambda proof: forged(proof, expiresAt=4102444800),
        lambda proof: "not a payload",
        lambda proof: base64.b64encode(b'{"challenge": {}}').decode(),
        lambda proof: "A" * 10_000,
    ],
)
def test_a_forged_solution_is_refused(client: Client, newsletter: Topic, tamper: object) -> None:
    proof = tamper(solved_proof(client))  # type: ignore[operator]
    response = client.post(
        "/signup/",
        {"email": "f@example.com", "language": "en", "topics": [str(newsletter.pk)], "altcha": proof},
    )
    assert response.status_code == 200
    assert "The check that you are not a robot failed" in html_of(response)
    assert not PendingSignup.objects.exists()


def test_an_expired_solution_is_refused(client: Client, newsletter: Topic, settings: Settings) -> None:
    settings.ALTCHA_EXPIRES_SECONDS = -5
    proof = solved_proof(client)
    response = client.post(
        "/signup/",
        {"email": "e@example.com", "language": "en", "topics": [str(newsletter.pk)], "altcha": proof},
    )
    assert "The check that you are not a robot expired" in html_of(response)
    assert not PendingSignup.objects.exists()


def test_a_submission_without_javascript_is_taken_under_the_stricter_limit(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1
    settings.LIMIT_IP_PER_HOUR = 3
    assert post_signup(client, "a@example.com", newsletter) == 302  # no proof at all: still taken
    assert post_signup(client, "b@example.com", newsletter) == 429
    assert post_signup(client, "c@example.com", newsletter, proof=solved_proof(client)) == 302
