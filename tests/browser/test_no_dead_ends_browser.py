"""No dead ends, in real Chromium and by keyboard alone: "check your email"
names the address and sends it again, the outcome announced and focused; a
refused resend says so; the confirmed page leads on; Update Details before
confirming offers the confirmation. Every page passes axe-core."""

from typing import Any

from django.core import mail
from playwright.sync_api import Page, expect

from tests.helpers import run_worker

from .support import assert_accessible, assert_focused, link_in, press_and_wait, tab_to, type_into

RESEND = "form[action='/signup/sent/'] button[type=submit]"


def sign_up_by_keyboard(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/signup/")
    type_into(page, "#id_email", email)
    tab_to(page, "input[type=checkbox]")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")


def test_resend_by_keyboard_is_announced_and_a_refusal_says_when(
    page: Page, site: str, seeded: None, settings: Any
) -> None:
    sign_up_by_keyboard(page, site, "kim.keys@example.com")
    expect(page.locator("main")).to_contain_text("We have sent an email to k•••@e•••.com")
    assert_accessible(page)

    tab_to(page, RESEND)
    press_and_wait(page, "Enter")
    status = page.get_by_role("status").filter(has_text="We have sent the email again.")
    expect(status).to_be_visible()
    assert_focused(page, ".status-message")  # heard at once, not the top of a reloaded page
    assert_accessible(page)
    run_worker()
    assert sum("/confirm/" in m.body for m in mail.outbox) == 2

    settings.SIGNUP_EMAILS_PER_HOUR = 2
    tab_to(page, RESEND)
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Please try again later")
    expect(page.get_by_role("alert")).to_contain_text("Try again in")
    assert_accessible(page)


def test_update_details_before_confirming_confirms_by_keyboard_then_leads_on(
    page: Page, site: str, seeded: None
) -> None:
    sign_up_by_keyboard(page, site, "ana@example.com")
    run_worker()
    page.goto(link_in(mail.outbox[-1], site, "/preferences/"))
    expect(page.get_by_role("status")).to_contain_text("You have not confirmed your sign-up yet.")
    assert_accessible(page)
    tab_to(page, "form[action^='/confirm/'] button[type=submit]")
    press_and_wait(page, "Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    assert_accessible(page)
    run_worker()
    tab_to(page, "a[href='/preferences/edit/']")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Update your Profile and Preference Details")
    expect(page.locator("#id_email")).to_have_value("ana@example.com")
