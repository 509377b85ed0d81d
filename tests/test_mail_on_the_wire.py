"""The site's emails as a receiving mail server sees them: sent over SMTP to
a real server (aiosmtpd), read as raw bytes and parsed with Python's `email`
package, as a mailbox provider would. Gmail and Yahoo show their unsubscribe
button only for a `List-Unsubscribe: <https://...>` they can read."""

import re
from typing import Any

import pytest
from django.test import Client

from signup_site.campaign.models import OptOut, Topic
from tests.helpers import run_worker, sign_up
from tests.smtp_server import Handler, Received

pytestmark = pytest.mark.django_db

SITE = "https://signup.example.com"
NAME = 'D\'Arcy & "Jo"'


@pytest.fixture
def site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["signup.example.com", "testserver"]


def the_one_to(handler: Handler, address: str) -> Received:
    received = [message for message in handler.received if address in message.rcpt_to]
    assert len(received) == 1, [r.message["Subject"] for r in received]
    return received[0]


def journey(client: Client, handler: Handler, offers: Topic) -> tuple[Received, Received]:
    sign_up(client, "darcy@example.com", offers, first_name=NAME)
    run_worker()
    confirmation = the_one_to(handler, "darcy@example.com")
    confirm = re.search(r"https://signup\.example\.com(/confirm/\S+/)", confirmation.part("plain"))
    assert confirm, confirmation.part("plain")
    # To the result page (Post/Redirect/Get).
    assert client.post(confirm.group(1), secure=True, HTTP_HOST="signup.example.com").status_code == 303
    run_worker()
    offer = [m for m in handler.received if m is not confirmation]
    assert len(offer) == 1
    return confirmation, offer[0]


def test_list_unsubscribe_is_a_structured_field_a_receiver_can_read(
    client: Client, smtp_server: Handler, offers: Topic, site: None
) -> None:
    for received in journey(client, smtp_server, offers):
        head = received.raw.split(b"\r\n\r\n", 1)[0]
        assert b"=?" not in head, "no RFC 2047 encoded words in the header"
        fields = received.header_lines()
        assert re.fullmatch(
            r"<https://signup\.example\.com/unsubscribe/[^\s<>]+/>", fields["list-unsubscribe"]
        )
        assert fields["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(r".+ <[a-z-]+\.signup\.example\.com>", fields["list-id"])
        assert re.fullmatch(r"<[^@\s]+@signup\.example\.com>", fields["message-id"])
        # Every line within RFC 5322's hard limit.
        assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998


def test_the_one_click_url_in_the_header_unsubscribes(
    client: Client, smtp_server: Handler, offers: Topic, site: None
) -> None:
    _confirmation, offer = journey(client, smtp_server, offers)
    url = offer.header_lines()["list-unsubscribe"].strip("<>")
    # What Gmail does (RFC 8058): a POST with no cookie and no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    answer = mail_client.post(
        url.removeprefix(SITE),
        {"List-Unsubscribe": "One-Click"},
        secure=True,
        HTTP_HOST="signup.example.com",
    )
    assert answer.status_code == 200
    assert OptOut.objects.filter(subscriber__email="darcy@example.com", topic=offers).exists()


def test_the_text_part_reads_as_text_and_the_html_part_is_escaped(
    client: Client, smtp_server: Handler, offers: Topic, site: None
) -> None:
    confirmation, offer = journey(client, smtp_server, offers)
    for received in (confirmation, offer):
        text = received.part("plain")
        assert f"Hello {NAME}," in text
        assert "&#x27;" not in text and "&amp;" not in text and "&quot;" not in text
        html = received.part("html")
        assert "D&#x27;Arcy &amp; &quot;Jo&quot;" in html
        assert "<script" not in html
        assert received.message.get_content_type() == "multipart/alternative"


def test_an_international_domain_is_mailed_at_the_domain_it_names(
    client: Client, smtp_server: Handler, offers: Topic, site: None
) -> None:
    # IDNA 2008 keeps ß (xn--strae-oqa); the IDNA 2003 conversion Django's
    # SMTP backend applies to a Unicode domain would mail strasse.example.
    sign_up(client, "kim@Straße.example", offers)
    run_worker()
    (received,) = smtp_server.received
    assert received.rcpt_to == ["kim@xn--strae-oqa.example"]
    assert received.message["To"] == "kim@xn--strae-oqa.example"
