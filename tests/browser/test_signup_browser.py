"""The sign-up journey in real Chromium: by keyboard alone, with focus where a
keyboard or screen-reader user needs it, without JavaScript, and with no
serious or critical axe-core violation on any page."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from signup_site.campaign.models import Coupon, LocalProfile, LocalSubscription, PendingSignup, Topic
from tests.helpers import run_worker

from .support import assert_accessible, assert_focused, link_in, press_and_wait, tab_to, type_into

SUBMIT = "main form button[type=submit]"


def checkbox_for(label: str) -> str:
    return f"input[type=checkbox][value='{Topic.objects.get(label=label).pk}']"


def confirmation_link(site: str) -> str:
    run_worker()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return link_in(mail.outbox[0], site, "/confirm/")


def test_keyboard_only_signup_and_confirmation_send_the_special_offer_coupon(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/")
    type_into(page, "#id_email", "Kim.Keys@Example.com")
    type_into(page, "#id_last_name", "Keys")
    tab_to(page, "#id_first_name", backwards=True)  # Shift+Tab goes back to the field skipped
    page.keyboard.type("Kim")
    offers = checkbox_for("Email Special Offers")
    tab_to(page, offers)
    page.keyboard.press("Space")
    expect(page.locator(offers)).to_be_checked()
    expect(page.locator(checkbox_for("Newsletter"))).not_to_be_checked()
    tab_to(page, SUBMIT)
    press_and_wait(page, "Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    confirm = confirmation_link(site)

    page.goto(confirm)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your sign-up")
    assert PendingSignup.objects.get().confirmed_at is None, "opening the link alone must not confirm"
    tab_to(page, SUBMIT)
    expect(page.locator(":focus")).to_have_text("Confirm my sign-up")
    press_and_wait(page, "Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    expect(page.locator("main")).to_contain_text("Your gift coupon is on its way")
    run_worker()
    profile = LocalProfile.objects.get()
    assert (profile.email, profile.first_name, profile.last_name) == ("kim.keys@example.com", "Kim", "Keys")
    assert set(LocalSubscription.objects.values_list("service__name", flat=True)) == {"SPECIAL_OFFERS"}
    offer = mail.outbox[-1]
    assert offer.subject == "Welcome! Here is your gift coupon"
    assert offer.to == ["kim.keys@example.com"]
    assert Coupon.objects.get(subscriber__email="kim.keys@example.com").code in offer.body


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/")
    skip = page.get_by_role("link", name="Skip to main content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10, (
        "the focused skip link must be visible"
    )
    page.keyboard.press("Enter")
    assert_focused(page, "main#main")
    page.keyboard.press("Tab")
    assert_focused(page, "#id_email")  # the first field, past the header's links


def test_empty_signup_focuses_error_summary_whose_links_move_focus_to_the_fields(
    page: Page, site: str
) -> None:
    page.goto(f"{site}/signup/")
    type_into(page, "#id_first_name", "Ana")
    tab_to(page, SUBMIT)
    press_and_wait(page, "Enter")

    expect(page).to_have_title(re.compile(r"^Error: Sign up\b"))  # screen readers read the title first
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    assert_focused(page, ".error-summary")  # `autofocus`: announced first, nothing to hunt for
    expect(page.locator("#id_first_name")).to_have_value("Ana")  # nothing typed is lost
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")

    page.keyboard.press("Tab")
    assert_focused(page, ".error-summary a[href='#id_email']")
    expect(page.locator(":focus")).to_have_text("Enter your email address")
    page.keyboard.press("Enter")
    assert_focused(page, "#id_email")

    tab_to(page, ".error-summary a[href='#id_topics_0']", backwards=True)
    expect(page.locator(":focus")).to_have_text("Choose at least one kind of email")
    page.keyboard.press("Enter")
    assert_focused(page, "#id_topics_0")
    assert not PendingSignup.objects.exists()


def test_signup_page_and_its_error_state_have_no_serious_axe_violations(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator(SUBMIT).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)


def test_spanish_signup_page_has_no_serious_axe_violations(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/?lang=es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("main")).to_contain_text("Ofertas especiales por correo")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator(SUBMIT).click()
    expect(page.locator("html")).to_have_attribute("lang", "es")  # the choice is remembered
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)


def test_confirm_and_confirmed_pages_have_no_serious_axe_violations(page: Page, site: str) -> None:
    page.goto(f"{site}/signup/")
    page.locator("#id_email").fill("axe@example.com")
    page.locator(checkbox_for("Newsletter")).check()
    with page.expect_navigation():
        page.locator(SUBMIT).click()
    assert_accessible(page)  # "Check your email"

    page.goto(confirmation_link(site))
    expect(page.get_by_role("button", name="Confirm my sign-up")).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my sign-up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    assert_accessible(page)


def test_broken_link_page_has_no_serious_axe_violations(page: Page, site: str) -> None:
    page.goto(f"{site}/confirm/not-a-real-token/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_accessible(page)


def test_signup_and_confirmation_work_without_javascript(browser_without_js: Page, site: str) -> None:
    page = browser_without_js
    page.goto(f"{site}/signup/")
    assert page.evaluate("() => 1") == 1  # Playwright's own scripts still run; the page's do not
    page.locator("#id_email").fill("nojs@example.com")
    page.locator(checkbox_for("Email Special Offers")).check()
    with page.expect_navigation():
        page.locator(SUBMIT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    page.goto(confirmation_link(site))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my sign-up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are signed up")
    run_worker()
    assert LocalSubscription.objects.filter(profile__email="nojs@example.com").exists()
    assert mail.outbox[-1].subject == "Welcome! Here is your gift coupon"
