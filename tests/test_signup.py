"""The sign-up journey on the local backend: form, confirmation, the
checkbox-driven flows, and what reached Campaign."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.models import (
    ConsentRecord,
    Coupon,
    LocalMessage,
    LocalProfile,
    LocalSubscription,
    OptOut,
    PendingSignup,
    Subscriber,
    Topic,
)
from signup_site.campaign.signups import Evidence, SignupRequest, start_signup
from signup_site.content.consent import DEFAULT_VERSION, consent_sha256, default_wording
from signup_site.web.links import Purpose, make_token, site_links
from tests.helpers import confirm_latest, html_of, html_part, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db


def subscriptions_of(email: str) -> set[str]:
    return set(LocalSubscription.objects.filter(profile__email=email).values_list("service__name", flat=True))


def test_root_redirects_to_signup(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/signup/"


def test_signup_page_offers_the_active_topics_with_labelled_fields(client: Client, seeded: None) -> None:
    response = client.get("/signup/")
    html = html_of(response)
    assert response.status_code == 200
    assert '<label for="id_email"' in html
    assert "Newsletter" in html
    assert "Email Special Offers" in html
    assert default_wording("en").text in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html


def test_special_offer_journey_sends_coupon_with_links(client: Client, offers: Topic) -> None:
    sign_up(client, "Jane.Doe@Example.com", offers, first_name="Jane", last_name="Doe")

    # Nothing reaches Campaign before confirmation: only the confirmation email.
    run_worker()
    assert not LocalProfile.objects.exists()
    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert confirmation.to == ["jane.doe@example.com"]
    assert "confirm" in confirmation.subject.lower()

    confirm_latest(client)

    profile = LocalProfile.objects.get()
    assert (profile.email, profile.first_name, profile.last_name) == ("jane.doe@example.com", "Jane", "Doe")
    assert profile.pkey.startswith("@")
    assert subscriptions_of("jane.doe@example.com") == {"SPECIAL_OFFERS"}

    offer = mail.outbox[-1]
    coupon = Coupon.objects.get()
    assert "coupon" in offer.subject.lower()
    assert coupon.code in offer.body
    assert coupon.code in html_part(offer)
    link_in(offer, "/preferences/")
    unsubscribe = link_in(offer, "/unsubscribe/")
    assert offer.extra_headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert offer.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The special-offer email replaces the welcome email.
    assert list(LocalMessage.objects.values_list("name", flat=True)) == ["special-offer"]
    assert len(mail.outbox) == 2


def test_plain_signup_gets_welcome_email_and_no_coupon(client: Client, newsletter: Topic) -> None:
    sign_up(client, "sam@example.com", newsletter, first_name="Sam")
    confirm_latest(client)

    assert subscriptions_of("sam@example.com") == {"NEWSLETTER"}
    assert not Coupon.objects.exists()
    welcome = mail.outbox[-1]
    assert "welcome" in welcome.subject.lower()
    assert "coupon" not in welcome.body.lower()
    link_in(welcome, "/preferences/")
    link_in(welcome, "/unsubscribe/")
    assert "List-Unsubscribe" in welcome.extra_headers
    assert list(LocalMessage.objects.values_list("name", flat=True)) == ["welcome"]


def test_confirm_link_get_changes_nothing(client: Client, newsletter: Topic) -> None:
    sign_up(client, "scanner@example.com", newsletter)
    run_worker()
    confirm = link_in(mail.outbox[0], "/confirm/")

    for _ in range(3):  # a link scanner fetching the link, even repeatedly
        response = client.get(confirm)
        assert response.status_code == 200
        assert b"<form" in response.content
        assert client.head(confirm).status_code == 200
    run_worker()

    assert PendingSignup.objects.get().confirmed_at is None
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert not LocalProfile.objects.exists()
    assert len(mail.outbox) == 1


def test_confirming_twice_creates_one_profile_and_one_email(client: Client, newsletter: Topic) -> None:
    sign_up(client, "twice@example.com", newsletter)
    confirm = confirm_latest(client)
    assert client.post(confirm).status_code == 303  # to the result page (PRG)
    run_worker()
    assert LocalProfile.objects.count() == 1
    assert LocalMessage.objects.count() == 1


def test_existing_campaign_profile_is_found_not_duplicated(client: Client, newsletter: Topic) -> None:
    LocalProfile.objects.create(email="known@example.com", first_name="Old")
    sign_up(client, "known@example.com", newsletter, first_name="New")
    confirm_latest(client)
    profile = LocalProfile.objects.get()
    assert profile.first_name == "New"
    assert subscriptions_of("known@example.com") == {"NEWSLETTER"}


def test_validation_errors_keep_what_was_typed(client: Client) -> None:
    response = client.post(
        "/signup/", {"email": "not-an-address", "first_name": "Ana", "last_name": "López", "language": "es"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'value="not-an-address"' in html
    assert 'value="Ana"' in html
    assert 'value="López"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html
    assert "Choose at least one kind of email" in html
    assert response.context["form"].errors
    assert not Subscriber.objects.exists()


def test_same_response_for_known_and_unknown_addresses(client: Client, newsletter: Topic) -> None:
    sign_up(client, "member@example.com", newsletter)
    confirm_latest(client)

    known = client.post(
        "/signup/", {"email": "member@example.com", "language": "en", "topics": [newsletter.pk]}
    )
    unknown = client.post(
        "/signup/", {"email": "stranger@example.com", "language": "en", "topics": [newsletter.pk]}
    )
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])

    def page(response: Any) -> str:
        return re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(response["Location"]).content.decode()
        )

    assert page(known) == page(unknown)


def test_resignup_of_confirmed_subscriber_never_downgrades(
    client: Client, newsletter: Topic, offers: Topic
) -> None:
    sign_up(client, "loyal@example.com", newsletter, offers, first_name="Lo")
    confirm_latest(client)
    # Someone (anyone) submits the form again for that address, with fewer topics.
    sign_up(client, "loyal@example.com", newsletter)
    run_worker()

    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.first_name == "Lo"
    assert subscriptions_of("loyal@example.com") == {"NEWSLETTER", "SPECIAL_OFFERS"}


def test_consent_evidence_recorded_for_request_and_confirmation(client: Client, newsletter: Topic) -> None:
    client.post(
        "/signup/?utm_source=footer",
        {"email": "ev@example.com", "language": "en", "topics": [newsletter.pk]},
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="203.0.113.7",
    )
    confirm_latest(client)
    request, confirmation = ConsentRecord.objects.order_by("created_at", "id")
    assert request.kind == ConsentRecord.Kind.REQUEST
    assert confirmation.kind == ConsentRecord.Kind.CONFIRMATION
    assert request.ip_address == "203.0.113.7"
    assert request.user_agent == "TestBrowser/1.0"
    assert request.source == "/signup/?utm_source=footer"
    assert request.topics == ["NEWSLETTER"]
    assert request.wording_version == DEFAULT_VERSION
    assert request.wording_sha256 == consent_sha256(default_wording("en").text)
    with pytest.raises(ValueError):
        request.save()
    with pytest.raises(ValueError):
        request.delete()


def test_confirmation_emails_are_rate_limited_per_address(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 2
    data = {"email": "victim@example.com", "language": "en", "topics": [newsletter.pk]}
    statuses = [client.post("/signup/", data).status_code for _ in range(5)]
    # The page refuses, and says so, past the worker's cap (web/limits.py).
    assert statuses == [302, 302, 429, 429, 429]
    run_worker()
    assert len(mail.outbox) == 2


def test_the_worker_holds_its_own_cap_on_confirmation_emails(newsletter: Topic, settings: Settings) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 2
    evidence = Evidence(None, "", "/signup/", "en", DEFAULT_VERSION, "0" * 64)
    request = SignupRequest("victim@example.com", "", "", "en", (newsletter,))
    for _ in range(5):  # past the page's limits, as another web process might be
        start_signup(request, evidence, site_links)
    run_worker()
    assert len(mail.outbox) == 2


def test_spellings_of_one_mailbox_share_its_confirmation_limit(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 2
    for spelling in (
        "victim@café.example",
        "victim@cafe\u0301.example",
        "VICTIM@xn--caf-dma.example",
        "victim+1@café.example",
        "victim+2@CAFÉ.example",
    ):
        client.post("/signup/", {"email": spelling, "language": "en", "topics": [newsletter.pk]})
    run_worker()
    assert len(mail.outbox) == 2


def test_an_opt_out_holds_for_every_spelling_of_the_address(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    sign_up(client, "sam@café.example", newsletter)
    confirm_latest(client)
    sam = Subscriber.objects.get()
    client.post(f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=sam.public_id.hex)}/", {"scope": "all"})
    run_worker()
    settings.SIGNUP_DOUBLE_OPT_IN = False
    mail.outbox.clear()
    sign_up(client, "SAM@xn--caf-dma.example", newsletter)
    run_worker()
    # Still suppressed: a confirmation email, not the welcome email.
    assert [m.subject for m in mail.outbox] == ["Please confirm your sign-up"]
    assert OptOut.objects.get().ended_at is None


def test_gmail_aliases_share_the_mailboxs_confirmation_limit(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 2
    for alias in (
        "victim@gmail.com",
        "vic.tim@gmail.com",
        "v.i.c.t.i.m@googlemail.com",
        "victim+x@gmail.com",
    ):
        client.post("/signup/", {"email": alias, "language": "en", "topics": [newsletter.pk]})
    run_worker()
    assert len(mail.outbox) == 2


# 232 characters as typed (under the form's 254), 260 as the A-label the
# site would send to.
LONG_IN_ASCII = "l" * 64 + "@" + ".".join(["é" * 10 + "p" * 30] * 4) + ".com"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ('"qq"@gmail.com', "Enter the email address without quotation marks"),
        ('"q\\q"@gmail.com', "Enter the email address without quotation marks"),
        ("x@localhost", "Enter the full domain name after the @, like name@example.com"),
        ("x@[127.0.0.1]", "Enter a domain name after the @, like name@example.com, not an IP address"),
        ("a" * 65 + "@example.com", "Enter a shorter email address"),
        (LONG_IN_ASCII, "Enter a shorter email address"),
        ("a" * 250 + "@example.com", "Enter a shorter email address"),
        ("josé@example.com", "Enter an email address without accented or non-Latin letters before the @"),
    ],
)
def test_refused_addresses_are_form_errors_and_create_no_one(
    client: Client, newsletter: Topic, address: str, message: str
) -> None:
    response = client.post("/signup/", {"email": address, "language": "en", "topics": [str(newsletter.pk)]})
    assert response.status_code == 200
    html = html_of(response)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not Subscriber.objects.exists()
    run_worker()
    assert not mail.outbox


def test_without_double_opt_in_signup_is_confirmed_at_once(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_DOUBLE_OPT_IN = False
    sign_up(client, "quick@example.com", newsletter)
    run_worker()
    assert subscriptions_of("quick@example.com") == {"NEWSLETTER"}
    assert [m.subject for m in mail.outbox] == ["Welcome! You are signed up"]


def test_dev_mailbox_is_hidden_unless_debug(client: Client, settings: Settings) -> None:
    settings.DEBUG = False
    assert client.get("/dev/mailbox/").status_code == 404


def test_dev_mailbox_shows_sent_email_with_working_links(
    client: Client, newsletter: Topic, settings: Settings, tmp_path: Any
) -> None:
    settings.DEBUG = True
    settings.MAILBOX_DIR = tmp_path
    settings.MAILERS = {"default": {"BACKEND": "signup_site.web.mailbox.MailboxBackend"}}
    sign_up(client, "dev@example.com", newsletter)
    run_worker()

    listing = html_of(client.get("/dev/mailbox/"))
    assert "Please confirm your sign-up" in listing
    detail_path = listing.split('href="/dev/mailbox/', 1)[1].split('"', 1)[0]
    detail = html_of(client.get(f"/dev/mailbox/{detail_path}"))
    confirm = detail.split('href="http://testserver/confirm/', 1)[1].split('"', 1)[0]
    assert client.get(f"/confirm/{confirm}").status_code == 200
    assert client.get("/dev/mailbox/../../etc/passwd/").status_code == 404


@pytest.mark.parametrize("topic_id", ["9" * 30, "-1", "\uff11", "1e3", " 1"])
def test_a_topic_id_that_is_no_id_is_a_form_error_not_a_500(
    client: Client, seeded: None, topic_id: str
) -> None:
    response = client.post("/signup/", {"email": "big@example.com", "language": "en", "topics": [topic_id]})
    assert response.status_code == 200
    assert "Choose from the emails listed" in html_of(response)
    assert not Subscriber.objects.exists()
