"""The preference centre and the opt-out page in real Chromium, reached the
way a person reaches them: from an email in the development mailbox. The
forms are used by keyboard alone; every page passes axe-core."""

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.campaign.models import LocalProfile, LocalSubscription, Subscriber, Topic
from signup_site.web import mailbox
from tests.helpers import run_worker, sign_up

from .support import assert_accessible, press_and_wait, tab_to, type_into

EMAIL = "pat.prefs@example.com"
OFFER_SUBJECT = "Welcome! Here is your gift coupon"
UPDATE = "main form button[type=submit]"


def subscriptions() -> set[str]:
    return set(LocalSubscription.objects.filter(profile__email=EMAIL).values_list("service__name", flat=True))


@pytest.fixture
def subscribed(site: str, dev_mailbox: Path, client: Client) -> None:
    """Pat signed up for special offers and confirmed (setup, not under test:
    done with the test client); the coupon email is in the mailbox."""
    sign_up(client, EMAIL, Topic.objects.get(slug="special-offers"), first_name="Pat", last_name="Old")
    run_worker()
    (confirmation,) = mailbox.list_emails()
    confirm = next(url for url in confirmation.body_text.split() if url.startswith(f"{site}/confirm/"))
    assert client.post(confirm.removeprefix(site)).status_code == 303  # to the result page (PRG)
    run_worker()
    assert subscriptions() == {"SPECIAL_OFFERS"}


def open_email_link(page: Page, site: str, subject: str, link: str) -> None:
    """In the development mailbox, open the email and follow one of its links."""
    page.goto(f"{site}/dev/mailbox/")
    with page.expect_navigation():
        page.get_by_role("link", name=subject).click()
    with page.expect_navigation():
        # The first such link: some emails repeat "Update Details" above the footer.
        page.get_by_role("region", name="Email body").get_by_role("link", name=link).first.click()


def test_keyboard_only_preference_update_reaches_campaign(page: Page, site: str, subscribed: None) -> None:
    open_email_link(page, site, OFFER_SUBJECT, "Update Details")
    assert page.url == f"{site}/preferences/edit/"  # the token is traded for a session, out of the URL
    expect(page.get_by_role("heading", level=1)).to_have_text("Update your Profile and Preference Details")
    expect(page.locator("#id_last_name")).to_have_value("Old")
    newsletter = "input[type=checkbox][value=NEWSLETTER]"
    offers = "input[type=checkbox][value=SPECIAL_OFFERS]"
    expect(page.locator(offers)).to_be_checked()
    expect(page.locator(newsletter)).not_to_be_checked()
    assert_accessible(page)

    type_into(page, "#id_last_name", "New", replace=True)
    tab_to(page, newsletter)
    page.keyboard.press("Space")
    tab_to(page, offers)
    page.keyboard.press("Space")
    expect(page.locator(newsletter)).to_be_checked()
    expect(page.locator(offers)).not_to_be_checked()
    tab_to(page, UPDATE)
    press_and_wait(page, "Enter")

    status = page.get_by_role("status")
    expect(status).to_be_focused()  # the outcome is announced, not the top of the page
    expect(status).to_contain_text("Updated your last name.")
    expect(status).to_contain_text("Subscribed to Newsletter.")
    expect(status).to_contain_text("Unsubscribed from Email Special Offers.")
    assert_accessible(page)
    run_worker()
    profile = LocalProfile.objects.get(email=EMAIL)
    assert (profile.first_name, profile.last_name) == ("Pat", "New")
    assert subscriptions() == {"NEWSLETTER"}

    page.reload()  # what Campaign now reports
    expect(page.locator("#id_last_name")).to_have_value("New")
    expect(page.locator(newsletter)).to_be_checked()
    expect(page.locator(offers)).not_to_be_checked()


def test_keyboard_only_unsubscribe_from_everything_then_undo(page: Page, site: str, subscribed: None) -> None:
    open_email_link(page, site, OFFER_SUBJECT, "Unsubscribe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    only_offers = page.get_by_role("radio", name="Only “Email Special Offers” emails")
    expect(only_offers).to_be_checked()
    assert_accessible(page)

    tab_to(page, "#scope-topic")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    expect(page.get_by_role("radio", name="All our marketing emails")).to_be_checked()
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.locator("main")).to_contain_text("You will no longer receive our marketing emails.")
    assert_accessible(page)
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is True

    tab_to(page, "form[action$='/undo/'] button", backwards=True)
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back: you are subscribed again")
    assert_accessible(page)
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is False
    assert subscriptions() == {"SPECIAL_OFFERS"}


def test_email_me_my_link_page_sends_a_working_link(page: Page, site: str, subscribed: None) -> None:
    page.goto(f"{site}/preferences/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage your email preferences")
    assert_accessible(page)
    tab_to(page, "main form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)

    type_into(page, "#id_email", EMAIL, replace=True)
    press_and_wait(page, "Enter")  # Enter in the field submits the form
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)
    run_worker()
    open_email_link(page, site, "Your link to update your email preferences", "Update Details")
    expect(page.locator("#id_email")).to_have_value(EMAIL)


def test_preferences_page_speaks_the_subscribers_language(page: Page, site: str, subscribed: None) -> None:
    Subscriber.objects.filter(email=EMAIL).update(language="es")
    open_email_link(page, site, OFFER_SUBJECT, "Update Details")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("main")).to_contain_text("Ofertas especiales por correo")
    assert_accessible(page)
