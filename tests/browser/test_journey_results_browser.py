"""Issue 14 in real Chromium: the goodbye page is a GET page, so switching
its language and going Back work (no "Confirm Form Resubmission",
ERR_CACHE_MISS); the preferences page of someone unsubscribed from all email
is honest and its banner passes axe, in English and Spanish."""

import pytest
from django.core import mail
from django.test import Client
from playwright.sync_api import Page, expect

from signup_site.brand.brand import current_brand
from signup_site.brand.cache import forget_brand
from signup_site.brand.models import Brand
from signup_site.campaign.models import Subscriber, Topic
from signup_site.web.links import Purpose, make_token
from tests.helpers import run_worker, sign_up

from .support import assert_accessible, link_in, press_and_wait, tab_to

EMAIL = "kim.journey@example.com"


@pytest.fixture
def kim(site: str, client: Client) -> Subscriber:
    """Kim signed up for the newsletter and confirmed (setup, with the test client)."""
    sign_up(client, EMAIL, Topic.objects.get(slug="newsletter"), first_name="Kim")
    run_worker()
    # To the result page (Post/Redirect/Get).
    assert client.post(link_in(mail.outbox[-1], site, "/confirm/").removeprefix(site)).status_code == 303
    run_worker()
    return Subscriber.objects.get(email=EMAIL)


def test_goodbye_page_switches_language_and_survives_back(page: Page, site: str, kim: Subscriber) -> None:
    unsubscribe = f"{site}/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=kim.public_id.hex)}/"
    page.goto(unsubscribe)
    expect(page.locator("main")).to_contain_text("k•••@e•••.com")
    tab_to(page, "main form[action=''] button[type=submit]")  # past the fewer-emails buttons
    press_and_wait(page, "Enter")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("You are unsubscribed")
    goodbye = page.url
    assert goodbye != unsubscribe  # the POST's answer was a redirect to a page of its own

    with page.expect_navigation():
        page.get_by_role("link", name="Español").click()
    expect(heading).to_have_text("Te has dado de baja")
    expect(page.get_by_role("button", name="Deshacer: mantener mi suscripción")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("link", name="Gestiona tus preferencias de correo").click()
    expect(page).to_have_url(f"{site}/preferences/")
    page.go_back()
    expect(page).to_have_url(f"{goodbye}?lang=es")
    expect(heading).to_have_text("Te has dado de baja")
    page.reload()
    expect(heading).to_have_text("Te has dado de baja")
    page.go_back()
    expect(page).to_have_url(goodbye)
    expect(heading).to_have_text("Te has dado de baja")


@pytest.fixture
def edge_accent(site: str) -> None:
    """A brand colour just at 4.5:1 on white, as the admin allows: on the
    warning banner's yellow it is only 4.06:1."""
    current_brand()
    Brand.objects.filter(pk=Brand.SINGLETON_PK).update(primary_colour="#0d6efd")
    forget_brand()


@pytest.mark.usefixtures("edge_accent")
@pytest.mark.parametrize(
    ("language", "again"), [("en", "Subscribe me again"), ("es", "Suscribirme de nuevo")]
)
def test_unsubscribed_preferences_page_is_honest_and_passes_axe(
    page: Page, site: str, kim: Subscriber, client: Client, language: str, again: str
) -> None:
    client.post(f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=kim.public_id.hex)}/", {"scope": "all"})
    run_worker()
    page.goto(f"{site}/preferences/{make_token(Purpose.PREFERENCES, s=kim.public_id.hex)}/?lang={language}")
    assert page.url == f"{site}/preferences/edit/"
    newsletter = page.locator("input[type=checkbox][value=NEWSLETTER]")
    expect(newsletter).not_to_be_checked()
    expect(newsletter).to_be_disabled()
    expect(page.locator(".alert-warning").get_by_role("link", name=again)).to_be_visible()
    assert_accessible(page)


def test_confirmed_page_reloads_switches_language_and_survives_back(
    page: Page, site: str, client: Client
) -> None:
    sign_up(client, "lee.journey@example.com", Topic.objects.get(slug="newsletter"), language="en")
    run_worker()
    confirm = link_in(mail.outbox[-1], site, "/confirm/")
    page.goto(confirm)
    heading = page.get_by_role("heading", level=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my sign-up").click()
    expect(heading).to_have_text("Thank you, you are signed up")
    confirmed = page.url
    assert confirmed == f"{confirm}done/"  # the POST's answer was a redirect to a GET page
    page.reload()  # no "Confirm Form Resubmission"
    expect(heading).to_have_text("Thank you, you are signed up")

    with page.expect_navigation():
        page.get_by_role("link", name="Español").click()
    expect(heading).to_have_text("Gracias, tu suscripción está confirmada")
    with page.expect_navigation():
        page.get_by_role("link", name="Gestiona tus preferencias", exact=True).click()
    expect(page).to_have_url(f"{site}/preferences/edit/")
    page.go_back()  # not ERR_CACHE_MISS
    expect(page).to_have_url(f"{confirmed}?lang=es")
    expect(heading).to_have_text("Gracias, tu suscripción está confirmada")
    page.go_back()
    expect(page).to_have_url(confirmed)
    expect(heading).to_have_text("Gracias, tu suscripción está confirmada")  # the language stays chosen
