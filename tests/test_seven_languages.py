"""The seven languages on the pages and in the emails: each page speaks its
language (Arabic right to left), the default topics and the consent wording
exist in every one, the emails follow, and dates are written the language's way."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.coupons import IssuedOffer
from signup_site.campaign.models import Coupon, Topic
from signup_site.content.consent import current_wording, wording_language
from tests.helpers import html_of, html_part, run_worker, sign_up

pytestmark = pytest.mark.django_db

HEADINGS = {
    "es": "Suscríbete",
    "pt-br": "Inscreva-se nos nossos e-mails",
    "ar": "اشترك في رسائلنا",
}
OFFERS = {
    "en": "Email Special Offers",
    "es": "Ofertas especiales por correo",
    "fr": "Offres spéciales par e-mail",
    "de": "Sonderangebote per E-Mail",
    "pt-br": "Ofertas especiais por e-mail",
    "it": "Offerte speciali via email",
    "ar": "عروض خاصة عبر البريد الإلكتروني",
}


@pytest.mark.parametrize("language", HEADINGS)
def test_signup_page_speaks_the_language(client: Client, seeded: None, language: str) -> None:
    html = html_of(client.get(f"/signup/?lang={language}"))
    assert HEADINGS[language] in html
    assert OFFERS[language] in html
    if language == "ar":
        assert '<html lang="ar" dir="rtl">' in html
        assert "bootstrap/css/bootstrap.rtl.min.css" in html
    else:
        assert f'<html lang="{language}">' in html
        assert "bootstrap/css/bootstrap.min.css" in html


def test_brazilian_portuguese_from_the_browser_language(client: Client, seeded: None) -> None:
    response = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert response["Content-Language"] == "pt-br"
    response = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="pt")
    assert response["Content-Language"] == "pt-br"


def test_switcher_names_each_language_in_itself(client: Client, seeded: None) -> None:
    html = html_of(client.get("/signup/?lang=ar"))
    for code, name in [
        ("fr", "Français"),
        ("de", "Deutsch"),
        ("pt-br", "Português (Brasil)"),
        ("it", "Italiano"),
    ]:
        assert f'<a href="?lang={code}" lang="{code}" hreflang="{code}">{name}</a>' in html
    assert '<span aria-current="true" class="fw-semibold" lang="ar">العربية</span>' in html


@pytest.mark.parametrize("language", OFFERS)
def test_default_topics_are_worded_in_every_language(seeded: None, language: str) -> None:
    from django.utils import translation

    with translation.override(language):
        assert Topic.objects.get(slug="special-offers").display_label == OFFERS[language]


def test_consent_wording_exists_in_pt_br_and_ar() -> None:
    english = current_wording("en").text
    assert wording_language("pt-BR") == "pt-br"
    assert current_wording("pt-br").text.startswith("Ao se inscrever, você concorda")
    assert current_wording("ar").text.startswith("باشتراكك، توافق")
    assert english not in (current_wording("pt-br").text, current_wording("ar").text)


def test_arabic_emails_are_right_to_left(client: Client, newsletter: Topic) -> None:
    sign_up(client, "layla@example.com", newsletter, first_name="ليلى", language="ar")
    run_worker()
    confirmation = mail.outbox[-1]
    assert confirmation.subject == "يُرجى تأكيد اشتراكك"
    html = html_part(confirmation)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<body dir="rtl"' in html
    assert "مرحبًا ليلى،" in confirmation.body


def test_brazilian_email_is_left_to_right(client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="pt-br")
    run_worker()
    confirmation = mail.outbox[-1]
    assert confirmation.subject == "Confirme sua inscrição"
    assert '<html lang="pt-br">' in html_part(confirmation)
    assert 'dir="rtl"' not in html_part(confirmation)


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "Dec. 11, 2026"), ("pt-br", "11 de Dezembro de 2026"), ("ar", "11 ديسمبر، 2026")],
)
def test_coupon_expiry_is_written_the_languages_way(offers: Topic, language: str, written: str) -> None:
    offers.coupon_valid_days = 10
    coupon = Coupon(topic=offers, code="ABCDEFGH2345", issued_at=datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert IssuedOffer(offers, coupon).email_context(language)["couponExpires"] == written
