"""Arabic in real Chromium: the sign-up and preferences pages are laid out
right to left (the document's direction, Bootstrap's RTL stylesheet, labels
on the right), fit a 390 px phone without sideways scrolling, and pass
axe-core. Screenshots land in test-results/ for a person to look at, with a
Brazilian Portuguese page beside them."""

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from playwright.sync_api import Browser, Page, ViewportSize, expect

from signup_site.campaign.models import Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import run_worker, sign_up

from .support import assert_accessible

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-results"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def arabic(browser: Browser) -> Any:
    context = browser.new_context(locale="ar", viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def assert_right_to_left(page: Page, label: str, field: str) -> None:
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    sheets = page.evaluate("[...document.styleSheets].map(sheet => sheet.href || '')")
    assert any(href.endswith("bootstrap/css/bootstrap.rtl.min.css") for href in sheets), sheets
    assert not any(href.endswith("bootstrap/css/bootstrap.min.css") for href in sheets), sheets
    # A label starts at its field's right edge, as Arabic is read.
    label_box = page.locator(label).bounding_box()
    field_box = page.locator(field).bounding_box()
    assert label_box and field_box
    assert abs((label_box["x"] + label_box["width"]) - (field_box["x"] + field_box["width"])) <= 2
    assert label_box["x"] > field_box["x"]
    # Nothing pushes the page wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_arabic_signup_page_is_right_to_left(arabic: Page, site: str) -> None:
    arabic.goto(f"{site}/signup/?lang=ar")
    expect(arabic.locator("html")).to_have_attribute("lang", "ar")
    expect(arabic.get_by_role("heading", level=1)).to_have_text("اشترك في رسائلنا")
    expect(arabic.get_by_label("عنوان البريد الإلكتروني")).to_be_visible()
    expect(arabic.get_by_text("عروض خاصة عبر البريد الإلكتروني")).to_be_visible()
    assert_right_to_left(arabic, "label[for=id_email]", "#id_email")
    # The switcher names every language in itself, marked with its language.
    for code, name in [("fr", "Français"), ("pt-br", "Português (Brasil)"), ("en", "English")]:
        link = arabic.locator(f'nav a[hreflang="{code}"]')
        expect(link).to_have_text(name)
        expect(link).to_have_attribute("lang", code)
    assert_accessible(arabic)
    SCREENSHOTS.mkdir(exist_ok=True)
    arabic.screenshot(path=str(SCREENSHOTS / "rtl-signup-ar.png"), full_page=True)


def test_arabic_preferences_page_is_right_to_left(arabic: Page, site: str, client: Client) -> None:
    sign_up(
        client, "layla@example.com", Topic.objects.get(slug="newsletter"), first_name="ليلى", language="ar"
    )
    run_worker()
    confirm = next(url for url in mail.outbox[-1].body.split() if url.startswith(f"{site}/confirm/"))
    assert client.post(confirm.removeprefix(site)).status_code == 303  # to the result page (PRG)
    run_worker()
    token = make_token(Purpose.PREFERENCES, s=Subscriber.objects.get().public_id.hex)
    arabic.goto(f"{site}/preferences/{token}/")
    expect(arabic.get_by_role("heading", level=1)).to_have_text("تحديث بيانات ملفك الشخصي وتفضيلاتك")
    expect(arabic.locator("#id_first_name")).to_have_value("ليلى")
    expect(arabic.locator("#id_language")).to_have_value("ar")
    assert_right_to_left(arabic, "label[for=id_first_name]", "#id_first_name")
    assert_accessible(arabic)
    SCREENSHOTS.mkdir(exist_ok=True)
    arabic.screenshot(path=str(SCREENSHOTS / "rtl-preferences-ar.png"), full_page=True)


def test_brazilian_signup_page_stays_left_to_right(browser: Browser, site: str) -> None:
    context = browser.new_context(locale="pt-BR", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site}/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "pt-br")
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscreva-se nos nossos e-mails")
    expect(page.get_by_role("button", name="Inscrever-se")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signup-pt-br.png"), full_page=True)
    context.close()
