"""No dead ends on the public journey: "check your email" names the address
(masked) and sends the same sign-up again, limits and all; the confirmed page
leads on; the Update Details link opened before confirming says so and offers
the confirmation; and the pages speak plainly, not of the machine inside."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from signup_site.campaign.models import (
    ConsentRecord,
    InboundRequest,
    LocalProfile,
    PendingSignup,
    Subscriber,
    Topic,
)
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def confirmations_to(address: str) -> int:
    run_worker()
    return sum(1 for message in mail.outbox if message.to == [address] and "/confirm/" in message.body)


def test_check_your_email_shows_the_address_typed_masked(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane.doe@example.com", newsletter, first_name="Jane")
    html = html_of(client.get("/signup/sent/"))
    assert "j•••@e•••.com" in html
    assert "jane.doe@example.com" not in html
    assert "Send the email again" in html


def test_check_your_email_is_the_same_for_a_known_and_an_unknown_address(
    client: Client, newsletter: Topic
) -> None:
    sign_up(client, "known@example.com", newsletter)
    confirm_latest(client)

    def page_for(email: str) -> str:
        visitor = Client()
        sign_up(visitor, email, newsletter)
        html = html_of(visitor.get("/signup/sent/"))
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert page_for("known@example.com") == page_for("kxxxx@example.com")


def test_without_a_sign_up_from_this_browser_the_page_shows_no_address_and_no_resend(client: Client) -> None:
    html = html_of(client.get("/signup/sent/"))
    assert "Check your email" in html
    assert "•••" not in html
    assert "Send the email again" not in html
    # A resend with nothing to resend goes back to the page.
    assert client.post("/signup/sent/").status_code == 302


def test_a_tampered_cookie_is_no_sign_up(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter)
    client.cookies["signup_sent"] = client.cookies["signup_sent"].value.replace("a", "b", 1) + "x"
    assert "•••" not in html_of(client.get("/signup/sent/"))
    client.post("/signup/sent/")
    assert PendingSignup.objects.count() == 1


def test_resend_sends_the_same_sign_up_again_and_says_so(
    client: Client, newsletter: Topic, offers: Topic
) -> None:
    sign_up(client, "jane@example.com", newsletter, offers, first_name="Jane", last_name="Doe", language="es")
    response = client.post("/signup/sent/")
    assert response.status_code == 302 and response["Location"] == "/signup/sent/"
    page = client.get("/signup/sent/")
    html = html_of(page)
    assert 'role="status"' in html and "We have sent the email again." in html
    assert confirmations_to("jane@example.com") == 2
    first, again = PendingSignup.objects.order_by("pk")
    assert (again.first_name, again.last_name, again.language) == ("Jane", "Doe", "es")
    assert set(again.topics.all()) == {newsletter, offers} == set(first.topics.all())
    # The consent evidence is that of the statement the form showed.
    records = ConsentRecord.objects.filter(kind=ConsentRecord.Kind.REQUEST).order_by("pk")
    assert records[0].wording_sha256 == records[1].wording_sha256


def test_a_resend_past_the_limit_is_refused_with_the_429_page(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    sign_up(client, "jane@example.com", newsletter)
    statuses = [client.post("/signup/sent/").status_code for _ in range(4)]
    # The worker's cap (SIGNUP_EMAILS_PER_HOUR, 3) is what the page enforces:
    # the sign-up and two resends are sent, the rest refused, none silently.
    assert statuses == [302, 302, 429, 429]
    refused = client.post("/signup/sent/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = html_of(refused)
    assert "Please try again later" in html and 'role="alert"' in html
    assert re.search(r"Try again in \d+\s+minutes?", html), html
    assert confirmations_to("jane@example.com") == settings.SIGNUP_EMAILS_PER_HOUR == 3


def test_a_resend_refused_is_said_in_spanish(client: Client, newsletter: Topic, settings: Settings) -> None:
    sign_up(client, "ana@example.com", newsletter, language="es")
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1
    refused = client.post("/signup/sent/?lang=es")
    assert refused.status_code == 429
    assert "Inténtalo de nuevo dentro de" in html_of(refused)


def test_a_resend_by_a_bot_filling_the_honeypot_sends_nothing(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter)
    response = client.post("/signup/sent/", {"homepage": "http://spam.example"})
    assert response.status_code == 302
    assert confirmations_to("jane@example.com") == 1


def test_the_api_answer_carries_no_address_to_the_page(client: Client, newsletter: Topic) -> None:
    response = client.post(
        "/api/signup",
        f"email=jane%40example.com&topics={newsletter.slug}",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 303
    assert "signup_sent" not in response.cookies


def test_confirmed_page_leads_to_the_preferences(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    run_worker()
    confirmed = client.post(link_in(mail.outbox[-1], "/confirm/"), follow=True)
    html = html_of(confirmed)
    assert '<a class="btn btn-primary" href="/preferences/edit/">Manage your preferences</a>' in html
    run_worker()
    page = html_of(client.get("/preferences/edit/"))
    assert 'value="Jane"' in page and "Update" in page


def test_update_details_before_confirming_says_so_and_shows_what_was_given(
    client: Client, newsletter: Topic, offers: Topic
) -> None:
    sign_up(client, "jane@example.com", offers, first_name="Jane", last_name="Doe")
    run_worker()
    confirmation = mail.outbox[-1]
    client.get(link_in(confirmation, "/preferences/"))
    html = html_of(client.get("/preferences/edit/"))
    assert 'role="status"' in html and "You have not confirmed your sign-up yet." in html
    assert "Jane Doe" in html and "Email Special Offers" in html
    assert "Newsletter" not in html  # only what they asked for
    assert 'action="/preferences/edit/"' not in html  # nothing to update before Campaign has it
    # The page's button confirms, as the email's would.
    confirm = re.search(r'<form method="post" action="(/confirm/[^"]+)"', html)
    assert confirm
    assert client.post(confirm.group(1)).status_code == 303  # to the result page (PRG)
    run_worker()
    assert LocalProfile.objects.filter(email="jane@example.com").exists()
    assert "You have not confirmed" not in html_of(client.get("/preferences/edit/"))


def test_update_details_on_a_sign_up_too_old_to_confirm_offers_signing_up_again(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    sign_up(client, "jane@example.com", newsletter)
    run_worker()
    PendingSignup.objects.update(
        created_at=timezone.now() - timedelta(days=settings.SIGNUP_CONFIRM_MAX_AGE_DAYS + 1)
    )
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    html = html_of(client.get("/preferences/edit/"))
    assert "You have not confirmed your sign-up yet." in html
    assert 'action="/confirm/' not in html
    assert 'href="/signup/">Sign up again</a>' in html


def test_unconfirmed_page_in_spanish(client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="es")
    run_worker()
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    html = html_of(client.get("/preferences/edit/"))
    assert '<html lang="es">' in html
    assert "Todavía no has confirmado tu suscripción." in html


def test_a_confirmed_person_signing_up_again_still_gets_the_form(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    confirm_latest(client)
    sign_up(client, "jane@example.com", newsletter)
    run_worker()
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    html = html_of(client.get("/preferences/edit/"))
    assert "You have not confirmed" not in html
    assert 'action="/preferences/edit/"' in html
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


@pytest.mark.parametrize("words", ["being updated", "on their way to our email system", "still on their way"])
def test_no_words_from_inside_the_machine_reach_people(words: str) -> None:
    found = subprocess.run(
        ["grep", "-rnF", words, "templates", "signup_site/web"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert found == "", found


def test_a_resend_of_a_sign_up_that_no_longer_validates_shows_the_form_with_why(
    client: Client, newsletter: Topic
) -> None:
    typed: dict[str, object] = {
        "email": "jane@example.com",
        "first_name": "Jane",
        "last_name": "",
        "language": "en",
    }
    typed |= {"consent": "a statement never shown", "topics": [str(newsletter.pk)]}
    client.cookies["signup_sent"] = signing.dumps(typed, salt="signup_site.web.signup-sent", compress=True)
    response = client.post("/signup/sent/")
    assert response.status_code == 200
    html = html_of(response)
    assert "The consent statement has changed since this page was opened." in html
    assert 'value="jane@example.com"' in html and 'value="Jane"' in html
    assert not PendingSignup.objects.exists() and not InboundRequest.objects.exists()
