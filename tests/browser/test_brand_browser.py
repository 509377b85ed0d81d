"""A rebranded site in real Chromium: the accent stylesheet and the logo load
under the strict CSP (nothing refused), the page stays accessible, and
screenshots of it are kept (under the test's temporary directory)."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from signup_site.campaign.models import Topic
from tests.brand_support import png, set_brand
from tests.browser.support import assert_accessible

SUBMIT = "main form button[type=submit]"


def test_a_rebranded_signup_page_shows_its_brand_under_the_strict_csp(
    page: Page, site: str, tmp_path: Path
) -> None:
    set_brand(logo=png(180, 48))
    Topic.objects.filter(slug="special-offers").update(
        offer_value="20% off your first order",
        offer_shop_url="https://shop.acme.example/",
        coupon_valid_days=30,
    )
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: refused.append(str(error)))
    for language in ("en", "es"):
        page.goto(f"{site}/signup/?lang={language}")
        expect(page).to_have_title(re.compile("\N{EN DASH} Acme Café$"))
        logo = page.locator("header img.brand-logo")
        expect(logo).to_be_visible()
        assert page.evaluate("() => document.querySelector('header img.brand-logo').naturalWidth") == 180
        background = page.locator(SUBMIT).evaluate("b => getComputedStyle(b).backgroundColor")
        assert background == "rgb(122, 31, 92)"  # #7a1f5c, from /brand/accent/7a1f5c.css
        expect(page.locator("footer")).to_contain_text("Acme Ltd, 1 Market Street, Springfield 12345")
        assert_accessible(page)
        page.screenshot(path=str(tmp_path / f"rebranded-signup-{language}.png"), full_page=True)
    assert not [text for text in refused if "Content Security Policy" in text or "Refused" in text], refused
    print(f"screenshots in {tmp_path}")
