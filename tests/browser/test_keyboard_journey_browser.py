"""The whole journey by keyboard alone (Tab, Shift+Tab, Space, Enter and the
arrows: no click), with the focus visible at every stop: sign up, confirm from
the development mailbox, open the preferences, change a topic and save,
opt down to a weekly digest and undo, unsubscribe, and undo."""

from pathlib import Path

from django.core import mail
from playwright.sync_api import Page, expect

from signup_site.campaign.models import LocalProfile, LocalSubscription
from tests.helpers import run_worker, take_in_requests

from .support import assert_focus_visible, press_and_wait, tab_visibly_to

EMAIL = "kim.keys@example.com"


def subscriptions() -> set[str]:
    return set(LocalSubscription.objects.filter(profile__email=EMAIL).values_list("service__name", flat=True))


def follow(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Tab (visibly) to a link or button and press Enter on it."""
    tab_visibly_to(page, selector, backwards=backwards, limit=60)
    press_and_wait(page, "Enter")


def open_from_mailbox(page: Page, site: str, subject: str, link: str) -> None:
    """The development mailbox, by keyboard: the email, then one of its links."""
    page.goto(f"{site}/dev/mailbox/")
    # Read (not clicked) to name the Tab stop: the first such link, as some
    # emails repeat Update Details above the footer.
    email = page.get_by_role("link", name=subject).first.get_attribute("href")
    follow(page, f"main a[href='{email}']")
    target = page.locator(".mailbox-email").get_by_role("link", name=link).first.get_attribute("href")
    follow(page, f".mailbox-email a[href='{target}']")


def opt_down(page: Page) -> None:
    """Fewer emails instead of leaving, from the preferences page: the weekly
    digest, its result page, and Undo, all by keyboard."""
    follow(page, "form[action='/preferences/fewer/'] button[name=frequency][value=weekly]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email frequency is saved")
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).email_frequency == "weekly"
    follow(page, "form[action$='/undo/'] button")
    expect(page.get_by_role("heading", level=1)).to_have_text("Undone")
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).email_frequency == ""


def test_the_whole_journey_by_keyboard_with_the_focus_always_visible(
    page: Page, site: str, dev_mailbox: Path, unlimited: None
) -> None:
    # Sign up.
    page.goto(f"{site}/signup/")
    tab_visibly_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_visibly_to(page, "input[type=checkbox][name=topics]")
    page.keyboard.press("Space")  # the first topic: Newsletter
    follow(page, "main form button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    take_in_requests()
    run_worker()

    # Confirm, from the email in the development mailbox.
    open_from_mailbox(page, site, "Please confirm your sign-up", "Confirm my sign-up")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your sign-up")
    follow(page, "main form button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    run_worker()
    assert subscriptions() == {"NEWSLETTER"}

    # Open the preferences, change a topic, save.
    follow(page, "a[href='/preferences/edit/']")
    expect(page.get_by_role("heading", level=1)).to_have_text("Update your Profile and Preference Details")
    tab_visibly_to(page, "input[type=checkbox][value=SPECIAL_OFFERS]")
    page.keyboard.press("Space")
    follow(page, "main form[action='/preferences/edit/'] button[type=submit]")
    status = page.get_by_role("status")
    expect(status).to_be_focused()
    expect(status).to_contain_text("Subscribed to Email Special Offers.")
    run_worker()
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}

    opt_down(page)

    # Unsubscribe from everything, from the welcome email, and undo.
    mail.outbox.clear()
    open_from_mailbox(page, site, "Welcome", "Unsubscribe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    follow(page, "main form button[name=scope][value=all]")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is True

    follow(page, "form[action$='/undo/'] button", backwards=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back: you are subscribed again")
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is False
    tab_visibly_to(page, "footer a")
    assert_focus_visible(page)
