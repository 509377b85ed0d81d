"""The development mailbox (/dev/mailbox/) fits a 390 px phone: the list and
an email, headers and plain text opened, scroll only up and down."""

from pathlib import Path

from django.test import Client
from playwright.sync_api import Browser, Page, ViewportSize

from signup_site.campaign.models import Topic
from tests.helpers import run_worker, sign_up

PHONE: ViewportSize = {"width": 390, "height": 844}
# A long address with no place to break, as a person may type.
LONG_ADDRESS = "firstname.middlename.lastname.department@subdomain.example-company.example"


def assert_no_horizontal_scroll(page: Page, where: str) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{where}: the document is {widths[0]} px wide in a {widths[1]} px viewport"
    )


def test_the_mailbox_fits_a_phone(browser: Browser, site: str, dev_mailbox: Path) -> None:
    sign_up(Client(), LONG_ADDRESS, Topic.objects.get(slug="special-offers"), first_name="Max")
    run_worker()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{site}/dev/mailbox/")
        assert_no_horizontal_scroll(page, "the list")
        with page.expect_navigation():
            page.locator("main a[href^='/dev/mailbox/']").first.click()
        assert_no_horizontal_scroll(page, "an email")
        for summary in page.locator("main details summary").all():
            summary.click()  # headers and the plain text, opened
        assert_no_horizontal_scroll(page, "an email with its headers and plain text opened")
    finally:
        context.close()
