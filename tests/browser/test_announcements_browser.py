"""Errors and results are announced. A form sent with errors comes back with
the error summary (templates/web/_error_summary.html) in an alert region,
focused, so a screen reader reads it at once and a keyboard user starts from
it; each of its links takes the focus to its field. A result is in a status
region: focused when the same page comes back with a message
(templates/web/_messages.html), or the result page's own message."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.campaign.models import Subscriber, Topic
from signup_site.web.links import site_links
from tests.helpers import run_worker, sign_up

from .support import assert_focused, link_in, press_and_wait, tab_to, type_into

SUMMARY = ".error-summary"


@pytest.fixture
def ana(site: str, unlimited: None) -> Subscriber:
    """Ana signed up for special offers and confirmed (setup, with the test client)."""
    client = Client()
    sign_up(client, "ana@example.com", Topic.objects.get(slug="special-offers"), first_name="Ana")
    run_worker()
    # To the result page (Post/Redirect/Get).
    assert client.post(link_in(mail.outbox[-1], site, "/confirm/").removeprefix(site)).status_code == 303
    run_worker()
    return Subscriber.objects.get(email="ana@example.com")


def send(page: Page, form: str = "main form") -> None:
    tab_to(page, f"{form} button[type=submit]")
    press_and_wait(page, "Enter")


def assert_error_summary_announced(page: Page, *, first_field: str) -> None:
    summary = page.locator(SUMMARY)
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    # Its first link leads to the field in error.
    tab_to(page, f"{SUMMARY} a")
    page.keyboard.press("Enter")
    assert_focused(page, first_field)


def assert_result_announced(page: Page, text: str) -> None:
    status = page.get_by_role("status").filter(has_text=text)
    expect(status).to_be_visible()


def test_sign_up_errors_are_announced_and_lead_to_the_field(page: Page, site: str, seeded: None) -> None:
    page.goto(f"{site}/signup/")
    type_into(page, "#id_first_name", "x" * 30)
    send(page)
    assert_error_summary_announced(page, first_field="#id_email")
    expect(page.locator(SUMMARY)).to_contain_text("Enter your email address")
    expect(page.locator(SUMMARY)).to_contain_text("Choose at least one kind of email")


def test_email_me_my_link_errors_are_announced(page: Page, site: str, seeded: None) -> None:
    page.goto(f"{site}/preferences/")
    send(page)
    assert_error_summary_announced(page, first_field="#id_email")


def test_check_your_email_and_link_sent_are_status_messages(page: Page, site: str, ana: Subscriber) -> None:
    page.goto(f"{site}/signup/")
    type_into(page, "#id_email", "bea@example.com")
    tab_to(page, "input[type=checkbox]")
    page.keyboard.press("Space")
    send(page)
    assert_result_announced(page, "We have sent an email to b•••@e•••.com")

    page.goto(f"{site}/preferences/")
    type_into(page, "#id_email", "ana@example.com")
    send(page)
    assert_result_announced(page, "a link to your preferences is on its way")


def test_preference_results_and_errors_are_announced(page: Page, site: str, ana: Subscriber) -> None:
    page.goto(site_links.preferences_url(ana))
    type_into(page, "#id_first_name", "Anita", replace=True)
    send(page, "main form[action='/preferences/edit/']")
    status = page.locator(".status-message")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_be_focused()
    expect(status).to_contain_text("Updated your first name.")

    type_into(page, "#id_email", "not an address", replace=True)
    send(page, "main form[action='/preferences/edit/']")
    assert_error_summary_announced(page, first_field="#id_email")

    type_into(page, "#id_email", "ana.new@example.com", replace=True)
    send(page, "main form[action='/preferences/edit/']")
    run_worker()
    change = next(m for m in reversed(mail.outbox) if "/preferences/email/" in str(m.body))
    page.goto(link_in(change, site, "/preferences/email/"))
    send(page)
    assert_result_announced(page, "We will send our emails to ana.new@example.com from now on.")


def test_confirmation_is_a_status_message(page: Page, site: str, seeded: None, settings: Any) -> None:
    sign_up(Client(), "cy@example.com", Topic.objects.get(slug="newsletter"))
    run_worker()
    page.goto(link_in(mail.outbox[-1], site, "/confirm/"))
    send(page)
    assert_result_announced(page, "We have sent you a welcome email.")


def test_opt_out_results_and_errors_are_announced(page: Page, site: str, ana: Subscriber) -> None:
    page.goto(site_links.unsubscribe_url(ana))
    send(page, "main form[action='']")  # the unsubscribe form, after the fewer-emails one
    assert_result_announced(page, "You will no longer receive our marketing emails.")

    reason = "form[action$='/reason/']"
    page.locator(f"{reason} textarea").evaluate("(el, v) => { el.value = v }", "x" * 1001)  # past maxlength
    send(page, reason)
    assert_error_summary_announced(page, first_field="#id_reason_text")
    expect(page.locator(SUMMARY)).to_contain_text(
        "Your message can be at most 1000 characters; you typed 1001."
    )

    send(page, "form[action$='/undo/']")
    assert_result_announced(page, "You will keep receiving our emails.")
