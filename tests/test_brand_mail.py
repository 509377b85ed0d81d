"""The brand in the raw emails a receiving server gets (a real SMTP server,
read as bytes with `email.parser.BytesParser`): From, Reply-To, the header's
logo and name, the footer's postal address and privacy link, in both parts
and in every language."""

import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import pytest
from django.test import Client

from signup_site.brand.brand import current_brand
from signup_site.campaign.models import Topic
from tests.brand_support import POSTAL_LINE, png, set_brand
from tests.helpers import run_worker, sign_up
from tests.smtp_server import Handler

pytestmark = pytest.mark.django_db

SITE = "https://signup.example.com"


@pytest.fixture
def site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["signup.example.com", "testserver"]


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None, f"no text/{subtype} part"
    return str(body.get_content())


def journey(client: Client, handler: Handler, offers: Topic, language: str) -> list[EmailMessage]:
    """Sign up, confirm from the email, receive the offer: both emails, parsed."""
    sign_up(client, "jo@example.com", offers, first_name="Jo", language=language)
    run_worker()
    confirmation = parsed(handler.received[-1].raw)
    confirm = re.search(r"https://signup\.example\.com(/confirm/\S+/)", part(confirmation, "plain"))
    assert confirm
    # To the result page (Post/Redirect/Get).
    assert client.post(confirm.group(1), secure=True, HTTP_HOST="signup.example.com").status_code == 303
    run_worker()
    assert len(handler.received) == 2
    return [parsed(received.raw) for received in handler.received]


@pytest.mark.parametrize(
    "language, privacy, sent_by",
    [
        ("en", "Privacy policy", "This email was sent by Acme Café."),
        ("es", "Política de privacidad", "Este correo te lo ha enviado Acme Café."),
    ],
)
def test_every_email_carries_the_brand_set_in_the_admin(
    client: Client, smtp_server: Handler, offers: Topic, site: None, language: str, privacy: str, sent_by: str
) -> None:
    set_brand(logo=png())
    logo_url = f"{SITE}{current_brand().logo_path}"
    buttons = 0
    for message in journey(client, smtp_server, offers, language):
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Acme Café News", "hello@acme.example")
        (reply_to,) = message["Reply-To"].addresses
        assert reply_to.addr_spec == "help@acme.example"
        assert message["Message-ID"].endswith("@news.acme.example>")

        text = part(message, "plain").replace("\r\n", "\n")
        assert text.startswith("Acme Café\n")
        assert POSTAL_LINE in text
        assert f"{privacy}: https://acme.example/privacy" in text
        assert sent_by in text

        html = part(message, "html")
        assert f'<img src="{logo_url}" alt="Acme Café" width="120" height="40"' in html
        assert f'<span class="postal-address">{POSTAL_LINE}</span>' in html
        assert re.search(rf'<a href="https://acme\.example/privacy"[^>]*>{privacy}</a>', html)
        assert sent_by in html
        # Its buttons wear the brand's colour, not the default blue.
        assert set(re.findall(r"background: (#[0-9a-f]{6})", html)) <= {current_brand().primary_colour}
        buttons += html.count(f"background: {current_brand().primary_colour}")
    assert buttons  # the confirmation's button at least
    offer = message  # the last one: the special offer
    assert offer["List-Id"] == "Acme Cafe <special-offer.news.acme.example>"
    assert offer["List-Unsubscribe"].startswith(f"<{SITE}/unsubscribe/")


def test_a_brand_without_a_logo_names_itself_in_the_emails_header(
    client: Client, smtp_server: Handler, offers: Topic, site: None
) -> None:
    set_brand()
    for message in journey(client, smtp_server, offers, "en"):
        html = part(message, "html")
        assert "<img" not in html
        assert re.search(r'<div class="brand-header"[^>]*>\s*<span[^>]*>Acme Café</span>', html)
