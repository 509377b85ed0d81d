"""The ALTCHA widget in real Chromium: it solves its challenge under the
site's CSP with no violation, is reached and ticked by keyboard, says what
it is doing to screen readers, speaks Spanish, and the solved form is taken
under the higher allowance."""

from typing import Any

from playwright.sync_api import Page, expect

from signup_site.campaign.models import PendingSignup
from tests.helpers import take_in_requests

from .support import assert_accessible, press_and_wait, tab_to, type_into

RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
PAYLOAD = "altcha-widget input[name=altcha]"


def test_widget_solves_by_keyboard_under_the_csp_and_the_form_is_taken_as_proven(
    page: Page, site: str, settings: Any
) -> None:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 0  # only a proven sign-up gets through
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.goto(f"{site}/signup/")
    checkbox = page.get_by_role("checkbox", name="I am not a robot")
    expect(checkbox).to_be_visible()
    assert_accessible(page)

    type_into(page, "#id_email", "pat.proof@example.com")
    tab_to(page, "input[type=checkbox][name=topics]")
    page.keyboard.press("Space")
    tab_to(page, "altcha-widget input[type=checkbox]")
    page.keyboard.press("Space")
    expect(page.locator("#proof-status")).to_have_text("Checked: you are not a robot", timeout=30_000)
    assert page.locator(PAYLOAD).input_value()
    assert_accessible(page)
    assert page.evaluate("window.__csp") == []
    assert not [e for e in errors if "Content Security Policy" in e], errors

    tab_to(page, "main form button[type=submit]")
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    take_in_requests()  # the worker takes the sign-up in
    assert PendingSignup.objects.get().subscriber.email == "pat.proof@example.com"


def test_widget_speaks_spanish(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/?lang=es")
    expect(page.get_by_role("checkbox", name="No soy un robot")).to_be_visible()
    assert_accessible(page)


def test_the_limit_page_is_accessible(page: Page, site: str, settings: Any) -> None:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = settings.LIMIT_IP_PER_HOUR = 0
    page.goto(f"{site}/preferences/")
    type_into(page, "#id_email", "someone@example.com")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Please try again later")
    assert_accessible(page)


def test_without_javascript_the_form_still_signs_up(browser_without_js: Page, site: str) -> None:
    page = browser_without_js
    page.goto(f"{site}/signup/")
    page.locator("#id_email").fill("no.script@example.com")
    page.locator("input[type=checkbox][name=topics]").first.check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    take_in_requests()  # the worker takes the sign-up in
    assert PendingSignup.objects.get().subscriber.email == "no.script@example.com"
