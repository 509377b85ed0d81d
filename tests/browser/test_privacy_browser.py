"""Delete my data in real Chromium, by keyboard alone, from the Update Details
link of an email in the development mailbox; every page passes axe-core."""

from pathlib import Path

from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.campaign.models import LocalProfile, PrivacyRequest, Topic
from tests.helpers import run_worker, sign_up

from .support import assert_accessible, press_and_wait, tab_to
from .test_preferences_browser import OFFER_SUBJECT, open_email_link

EMAIL = "pat.privacy@example.com"


def test_keyboard_only_erasure(page: Page, site: str, dev_mailbox: Path, client: Client) -> None:
    sign_up(client, EMAIL, Topic.objects.get(slug="special-offers"), first_name="Pat")
    run_worker()
    from signup_site.web import mailbox

    (confirmation,) = mailbox.list_emails()
    confirm = next(url for url in confirmation.body_text.split() if url.startswith(f"{site}/confirm/"))
    assert client.post(confirm.removeprefix(site)).status_code == 303  # to the result page (PRG)
    run_worker()

    open_email_link(page, site, OFFER_SUBJECT, "Update Details")
    tab_to(page, "a[href='/preferences/delete/']")
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my data")
    assert_accessible(page)
    tab_to(page, "button[name=confirm]")
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data is being deleted")
    assert_accessible(page)
    run_worker()
    assert PrivacyRequest.objects.get().status == PrivacyRequest.Status.CONFIRMED
    assert not LocalProfile.objects.filter(email=EMAIL).exists()
