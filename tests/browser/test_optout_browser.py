"""The opt-out page in real Chromium, for a link whose list is gone: said
plainly, one explicit button, by keyboard, with no serious axe violation.
(The everyday opt-out and undo are in test_preferences_browser.py, reached
from a real email.)"""

from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.campaign.models import LocalProfile, Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import run_worker, sign_up

from .support import assert_accessible, link_in, press_and_wait, tab_to

EMAIL = "robin.retired@example.com"


def test_optout_link_for_a_deleted_list_offers_all_email_by_keyboard(
    page: Page, site: str, client: Client
) -> None:
    # Robin signed up and confirmed (setup, not under test: done with the test client).
    sign_up(client, EMAIL, Topic.objects.get(slug="newsletter"))
    run_worker()
    # To the result page (Post/Redirect/Get).
    assert client.post(link_in(mail.outbox[-1], site, "/confirm/").removeprefix(site)).status_code == 303
    run_worker()
    person = Subscriber.objects.get(email=EMAIL).public_id.hex
    # The email came from a list deleted since: its slug names no topic now.
    page.goto(f"{site}/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=person, t='spring-sale')}/")
    expect(page.locator("main")).to_contain_text("The list this link was for no longer exists")
    expect(page.get_by_role("radio")).to_have_count(0)
    assert_accessible(page)

    tab_to(page, "main form button[type=submit]")
    expect(page.locator("main form button[type=submit]")).to_have_text(
        "Unsubscribe from all our marketing emails"
    )
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.locator("main")).to_contain_text("You will no longer receive our marketing emails.")
    assert_accessible(page)
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is True
