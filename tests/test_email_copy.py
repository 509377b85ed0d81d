"""Email copy written in the admin: used for the real emails (read as raw
bytes from a real SMTP server), refused when a placeholder is broken,
previewed with sample data, sent as a test to the staff user; the template
files whenever no copy is stored."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from signup_site.campaign.models import Coupon, Topic
from signup_site.content.models import EmailCopy
from tests.helpers import html_of, run_worker, sign_up
from tests.smtp_server import Handler, Received

pytestmark = pytest.mark.django_db

SITE = "https://signup.example.com"

CONFIRM_EN = {
    "message": "signup-confirm",
    "language": "en",
    "subject": "{{ first_name }}, one click to go",
    "preheader": "Confirm and your first email is on its way",
    "body": (
        "Hi {{ first_name }},\r\n\r\nPress the button to start hearing from us.\r\n"
        "It takes a second.\r\n\r\n[Yes, sign me up]({{ confirm_url }})\r\n\r\n"
        "Questions? See https://help.example.com/faq?a=1&b=2 or [write to us](https://example.com/contact)."
    ),
}
CONFIRM_ES = {
    "message": "signup-confirm",
    "language": "es",
    "subject": "{{ first_name }}, confirma con un clic",
    "preheader": "Confirma y te llega el primer correo",
    "body": "Hola, {{ first_name }}:\n\nPulsa el botón.\n\n[Sí, quiero suscribirme]({{ confirm_url }})",
}


def body_of(text: str) -> str:
    """An email's text after the brand's header line (templates/emails/_base-body.txt)."""
    header, _, body = text.partition("\n\n")
    assert header == "Signup Site", text[:200]
    return body


@pytest.fixture
def site(settings: Any) -> None:
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["signup.example.com", "testserver"]


@pytest.fixture
def marketer(db: None) -> User:
    """A staff user who may only work on the email copy."""
    user = User.objects.create_user("mia", "mia@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="content"))
    return user


@pytest.fixture
def admin(marketer: User) -> Client:
    client = Client()
    client.force_login(marketer)
    return client


def store(admin: Client, **fields: str) -> EmailCopy:
    response = admin.post("/admin/content/emailcopy/add/", fields)
    assert response.status_code == 302, html_of(response)[-3000:]
    return EmailCopy.objects.get(message=fields["message"], language=fields["language"])


def received_by(handler: Handler, address: str) -> Received:
    (received,) = [message for message in handler.received if address in message.rcpt_to]
    return received


def plain(received: Received) -> str:
    """The text part, line ends as Python writes them (SMTP carries CRLF)."""
    return received.part("plain").replace("\r\n", "\n")


def html(received: Received) -> str:
    return received.part("html").replace("\r\n", "\n")


def preheader_of(received: Received) -> str:
    found = re.search(r'<div class="preheader"[^>]*>([^<]*)</div>', html(received))
    assert found, html(received)
    return found.group(1)


def test_stored_copy_is_the_email_sent_in_english_and_in_spanish(
    client: Client, admin: Client, newsletter: Topic, smtp_server: Handler, site: None
) -> None:
    store(admin, **CONFIRM_EN)
    store(admin, **CONFIRM_ES)
    sign_up(client, "ann@example.com", newsletter, first_name="Ann")
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="es")
    run_worker()

    english = received_by(smtp_server, "ann@example.com")
    assert english.message["Subject"] == "Ann, one click to go"
    assert preheader_of(english) == "Confirm and your first email is on its way"
    text = plain(english)
    assert body_of(text).startswith(
        "Hi Ann,\n\nPress the button to start hearing from us.\nIt takes a second.\n\n"
    )
    confirm = re.search(r"Yes, sign me up: (https://signup\.example\.com/confirm/\S+/)", text)
    assert confirm, text
    assert "Update Details: https://signup.example.com/preferences/" in text  # the layout's footer
    page = html(english)
    assert "<p>Hi Ann,</p>" in page
    assert "<p>Press the button to start hearing from us.<br>\nIt takes a second.</p>" in page
    assert re.search(
        rf'<p><a href="{re.escape(confirm.group(1))}" style="display: inline-block;[^"]*">'
        r"Yes, sign me up</a></p>",
        page,
    )
    assert (
        '<a href="https://help.example.com/faq?a=1&amp;b=2" style="color: #0a58ca;">https://help.example.com/faq?a=1&amp;b=2</a>'
        in page
    )
    assert '<a href="https://example.com/contact" style="color: #0a58ca;">write to us</a>' in page
    assert "<title>Ann, one click to go</title>" in page
    assert ">Update Details</a>" in page and ">Unsubscribe</a>" in page
    assert english.header_lines()["list-unsubscribe"].startswith("<https://signup.example.com/unsubscribe/")
    # The link in the stored copy is the real one: it confirms.
    confirmed = client.post(confirm.group(1).removeprefix(SITE), secure=True, HTTP_HOST="signup.example.com")
    assert confirmed.status_code == 303  # to the result page (PRG)

    spanish = received_by(smtp_server, "ana@example.com")
    assert spanish.message["Subject"] == "Ana, confirma con un clic"
    assert preheader_of(spanish) == "Confirma y te llega el primer correo"
    assert body_of(plain(spanish)).startswith(
        "Hola, Ana:\n\nPulsa el botón.\n\nSí, quiero suscribirme: https://"
    )
    assert ">Sí, quiero suscribirme</a></p>" in html(spanish)
    assert ">Actualizar datos</a>" in html(spanish)  # the layout, in Spanish
    assert '<html lang="es">' in html(spanish)


def test_the_special_offer_copy_carries_the_coupon_issued(
    client: Client, admin: Client, offers: Topic, smtp_server: Handler, site: None
) -> None:
    store(
        admin,
        message="special-offer",
        language="en",
        subject="Your {{ offer_name }} gift",
        preheader="",
        body="Your code: {{ coupon }}\n\nUse it once.",
    )
    sign_up(client, "gift@example.com", offers, first_name="Gil")
    run_worker()
    confirm = re.search(r"https://signup\.example\.com(/confirm/\S+/)", plain(smtp_server.received[0]))
    assert confirm
    client.post(confirm.group(1), secure=True, HTTP_HOST="signup.example.com")
    run_worker()
    offer = smtp_server.received[1]
    code = Coupon.objects.get(subscriber__email="gift@example.com").code
    assert offer.message["Subject"] == "Your Email Special Offers gift"
    assert body_of(plain(offer)).startswith(f"Your code: {code}\n\nUse it once.\n")
    assert f"<p>Your code: {code}</p>" in html(offer)
    assert 'class="preheader"' not in html(offer)  # none written, none sent


def test_without_stored_copy_the_template_files_are_used(
    client: Client, admin: Client, newsletter: Topic, smtp_server: Handler, site: None
) -> None:
    store(admin, **CONFIRM_ES)  # Spanish only
    sign_up(client, "file@example.com", newsletter, first_name="Fi")
    run_worker()
    received = received_by(smtp_server, "file@example.com")
    assert received.message["Subject"] == "Please confirm your sign-up"
    assert "Hello Fi," in plain(received)
    assert "Confirm my sign-up" in html(received)


def test_what_a_person_typed_stays_text_in_the_html(
    client: Client, admin: Client, newsletter: Topic, smtp_server: Handler, site: None
) -> None:
    store(admin, **CONFIRM_EN)
    name = "[w](https://evil.example) <b>"
    sign_up(client, "typed@example.com", newsletter, first_name=name)
    run_worker()
    received = received_by(smtp_server, "typed@example.com")
    page = html(received)
    assert "evil.example" not in re.findall(r'href="([^"]*)"', page).__str__()
    assert "<p>Hi [w](https://evil.example) &lt;b&gt;,</p>" in page
    assert body_of(plain(received)).startswith(f"Hi {name},")


def test_an_empty_first_name_leaves_no_gap(
    client: Client, admin: Client, newsletter: Topic, smtp_server: Handler, site: None
) -> None:
    store(admin, **CONFIRM_EN)
    sign_up(client, "anon@example.com", newsletter)
    run_worker()
    received = received_by(smtp_server, "anon@example.com")
    assert body_of(plain(received)).startswith("Hi,\n")
    assert "<p>Hi,</p>" in html(received)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("body", "Hi {{ frist_name }} [go]({{ confirm_url }})", "There is no placeholder {{ frist_name }}."),
        ("body", "Hi {{ first_name } [go]({{ confirm_url }})", "A “{{” is not closed with “}}”."),
        ("body", "Hi first_name }} [go]({{ confirm_url }})", "A “}}” has no “{{” before it."),
        (
            "body",
            "Your {{ coupon }} [go]({{ confirm_url }})",
            "The “Sign-up confirmation” email has no {{ coupon }}.",
        ),
        (
            "body",
            "{% include 'emails/_base-body.html' %} {{ confirm_url }}",
            "Template tags ({% … %}, {# … #}) are not allowed",
        ),
        ("body", "{{ first_name|upper }} {{ confirm_url }}", "is not a placeholder"),
        ("body", "Hello, nothing to press.", "This email must contain {{ confirm_url }}."),
        ("subject", "Hi {{ name }}", "There is no placeholder {{ name }}."),
        ("preheader", "{{ first_name }", "A “{{” is not closed with “}}”."),
    ],
    ids=[
        "unknown",
        "unclosed",
        "unopened",
        "not-in-message",
        "tag",
        "filter",
        "required",
        "subject",
        "preheader",
    ],
)
def test_a_broken_placeholder_is_refused_on_save(admin: Client, field: str, value: str, error: str) -> None:
    response = admin.post("/admin/content/emailcopy/add/", {**CONFIRM_EN, field: value})
    page = html_of(response)
    assert response.status_code == 200
    assert error in page.replace("&quot;", '"').replace("&#x27;", "'")
    assert "The placeholders of this email: {{ first_name }}, {{ confirm_url }}" in page
    assert re.search(rf'<div class="[^"]*field-{field}[^"]*errors', page) or "errorlist" in page
    assert not EmailCopy.objects.exists()


def test_the_change_form_lists_the_placeholders(admin: Client) -> None:
    page = html_of(admin.get("/admin/content/emailcopy/add/"))
    assert "<code>{{ coupon }}</code>" in page
    assert "the gift coupon&#x27;s code" in page or "the gift coupon's code" in page


def test_copy_stored_before_a_placeholder_was_withdrawn_falls_back_to_the_files(
    client: Client, admin: Client, newsletter: Topic, smtp_server: Handler, site: None
) -> None:
    copy = store(admin, **CONFIRM_EN)
    EmailCopy.objects.filter(pk=copy.pk).update(body="{{ retired }} {{ confirm_url }}")
    sign_up(client, "safe@example.com", newsletter)
    run_worker()
    assert received_by(smtp_server, "safe@example.com").message["Subject"] == "Please confirm your sign-up"


def test_the_preview_renders_text_and_html_with_sample_data(admin: Client, site: None) -> None:
    copy = store(admin, **CONFIRM_ES)
    assert (
        f"/admin/content/emailcopy/{copy.pk}/preview/"
        in admin.get(f"/admin/content/emailcopy/{copy.pk}/change/").content.decode()
    )
    page = html_of(admin.get(f"/admin/content/emailcopy/{copy.pk}/preview/"))
    assert "Alex, confirma con un clic" in page
    assert "Confirma y te llega el primer correo" in page
    assert (
        "Hola, Alex: Pulsa el botón. Sí, quiero suscribirme: https://signup.example.com/confirm/sample/"
        in page
    )
    assert "Send me a test" in page
    framed = admin.get(f"/admin/content/emailcopy/{copy.pk}/preview/html/")
    html = framed.content.decode()
    assert '<a href="https://signup.example.com/confirm/sample/" style="display: inline-block;' in html
    assert "Actualizar datos" in html
    assert framed["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in framed["Content-Security-Policy"]
    assert "script-src" not in framed["Content-Security-Policy"]  # default-src 'none' covers scripts


def test_send_me_a_test_reaches_the_staff_user(
    admin: Client, marketer: User, smtp_server: Handler, site: None
) -> None:
    copy = store(admin, **CONFIRM_EN)
    assert (
        admin.get(f"/admin/content/emailcopy/{copy.pk}/send-test/").status_code == 405
    )  # a GET sends nothing
    response = admin.post(f"/admin/content/emailcopy/{copy.pk}/send-test/", follow=True)
    assert "The test was sent to mia@example.com." in html_of(response)
    (received,) = smtp_server.received
    assert received.rcpt_to == ["mia@example.com"]
    assert received.message["Subject"] == "[Test] Alex, one click to go"
    assert body_of(plain(received)).startswith("Hi Alex,")
    assert preheader_of(received) == "Confirm and your first email is on its way"
    assert "https://signup.example.com/confirm/sample/" in html(received)


def test_a_staff_user_without_an_address_is_told_so(
    admin: Client, marketer: User, smtp_server: Handler
) -> None:
    copy = store(admin, **CONFIRM_EN)
    marketer.email = ""
    marketer.save()
    response = admin.post(f"/admin/content/emailcopy/{copy.pk}/send-test/", follow=True)
    assert "Your user has no email address" in html_of(response)
    assert smtp_server.received == []


def test_someone_without_the_copy_permissions_sees_no_preview(db: None, admin: Client) -> None:
    copy = store(admin, **CONFIRM_EN)
    outsider = Client()
    outsider.force_login(User.objects.create_user("ops", "ops@example.com", "pw", is_staff=True))
    assert outsider.get(f"/admin/content/emailcopy/{copy.pk}/preview/").status_code == 403
    assert outsider.post(f"/admin/content/emailcopy/{copy.pk}/send-test/").status_code == 403
