"""Fewer emails instead of none, in real Chromium: on the unsubscribe page the
opt-down buttons come before the unsubscribe button, work by keyboard, lead
to a result page that survives a reload, and Undo; axe finds nothing serious."""

from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.campaign.models import LocalProfile, Pause, Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import run_worker, sign_up

from .support import assert_accessible, link_in, press_and_wait, tab_to

EMAIL = "fran.fewer@example.com"


def confirmed(client: Client, site: str) -> str:
    """Fran signed up and confirmed (setup, with the test client); their unsubscribe page."""
    sign_up(client, EMAIL, Topic.objects.get(slug="newsletter"))
    run_worker()
    # To the result page (Post/Redirect/Get).
    assert client.post(link_in(mail.outbox[-1], site, "/confirm/").removeprefix(site)).status_code == 303
    run_worker()
    person = Subscriber.objects.get(email=EMAIL).public_id.hex
    return f"{site}/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=person)}/"


def test_weekly_digest_by_keyboard_then_reload_and_undo(page: Page, site: str, client: Client) -> None:
    page.goto(confirmed(client, site))
    expect(page.get_by_role("heading", level=2)).to_have_text("Before you go: fewer emails instead?")
    assert_accessible(page)
    tab_to(page, "button[name=frequency][value=weekly]")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email frequency is saved")
    expect(page.locator("main")).to_contain_text("You will receive: Weekly digest.")
    assert_accessible(page)
    page.reload()  # a result page one can reload: nothing is sent again
    expect(page.locator("main")).to_contain_text("You will receive: Weekly digest.")
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).email_frequency == "weekly"

    tab_to(page, "form[action$='/undo/'] button")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Undone")
    expect(page.locator("main")).to_contain_text("You will receive: Every email.")
    assert_accessible(page)
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).email_frequency == ""


def test_pause_from_the_unsubscribe_page(page: Page, site: str, client: Client) -> None:
    page.goto(confirmed(client, site))
    page.get_by_role("button", name="Pause for 60 days").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your emails are paused")
    expect(page.locator("main")).to_contain_text("Your emails are paused until")
    assert_accessible(page)
    assert Pause.objects.get().days == 60
    run_worker()
    assert LocalProfile.objects.get(email=EMAIL).black_list_email is True
