"""The blank sign-up and link-request pages are rendered once per language and
kept (web.fragments): each request still gets its own CSRF token and signed
consent version, and a change of what they show shows on the next page."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import Client, RequestFactory
from django.test.signals import template_rendered
from django.utils import translation

from signup_site.brand.brand import current_brand
from signup_site.brand.models import Brand
from signup_site.campaign.models import PendingSignup, Topic, TopicTranslation
from signup_site.content.consent import current_wording
from signup_site.content.models import ConsentWording
from signup_site.web import fragments
from signup_site.web.forms import SignupForm
from signup_site.web.views import _signup_page
from tests.helpers import take_in_requests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _brand_made(db: None) -> None:
    """The brand's row exists, as on any site past its first page: its creation
    (on first read) forgets the pages kept, as any save of the brand does."""
    current_brand()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT = re.compile(r'name="consent" value="([^"]+)"')


@contextmanager
def renders() -> Iterator[list[str]]:
    """The names of the templates rendered meanwhile (the test runner's signal)."""
    names: list[str] = []

    def record(sender: object, template: object, **kwargs: object) -> None:
        names.append(str(getattr(template, "name", "")))

    template_rendered.connect(record)
    try:
        yield names
    finally:
        template_rendered.disconnect(record)


def page(client: Client, path: str = "/signup/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def per_request_values_masked(html: str) -> str:
    return CONSENT.sub('name="consent" value="-"', CSRF.sub('name="csrfmiddlewaretoken" value="-"', html))


def kept_signup_html(language: str = "en") -> str:
    with translation.override(language):
        kept = fragments.kept(fragments.fragment_key("signup"))
    assert kept is not None, "no sign-up page kept"
    return str(kept)


def test_two_visitors_share_the_kept_page_with_their_own_token(seeded: None) -> None:
    first = page(Client())
    with renders() as rendered:
        second = page(Client())

    assert rendered == [], "the second blank page was rendered again"
    assert CSRF.search(first)[1] != CSRF.search(second)[1]  # type: ignore[index]
    assert per_request_values_masked(first) == per_request_values_masked(second)


def test_the_kept_page_holds_a_mark_never_a_token(seeded: None) -> None:
    client = Client()
    html = page(client)
    kept = kept_signup_html()

    assert CSRF.search(html)[1] not in kept  # type: ignore[index]
    assert client.cookies["csrftoken"].value not in kept
    assert fragments.CSRF_MARK in kept and fragments.CSRF_MARK not in html


def test_a_nonce_in_a_kept_page_is_each_requests_own(seeded: None) -> None:
    """No page uses the CSP nonce yet; one that does gets the request's own."""
    kept = f'<script nonce="{fragments.NONCE_MARK}"></script>'
    first, second = (fragments.spliced(Client().get("/signup/").wsgi_request, kept) for _ in range(2))
    nonces = [re.search(r'nonce="([^"]+)"', response.content.decode()) for response in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0][1] != nonces[1][1]
    assert fragments.NONCE_MARK not in nonces[0][1]


def test_the_kept_page_is_the_html_the_template_renders(seeded: None) -> None:
    page(Client())
    request = RequestFactory().get("/signup/")
    with translation.override("en"):
        rendered = _signup_page(request, SignupForm(), current_wording("en")).content.decode()
    assert per_request_values_masked(page(Client())) == per_request_values_masked(rendered)


def test_a_form_sent_from_the_kept_page_is_accepted(seeded: None, newsletter: Topic) -> None:
    page(Client())  # someone else's visit renders and keeps the page
    browser = Client(enforce_csrf_checks=True)
    html = page(browser)
    data = {
        "csrfmiddlewaretoken": CSRF.search(html)[1],  # type: ignore[index]
        "consent": CONSENT.search(html)[1],  # type: ignore[index]
        "email": "kept@example.com",
        "language": "en",
        "topics": [str(newsletter.pk)],
    }
    response = browser.post("/signup/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/signup/sent/"
    take_in_requests()
    assert PendingSignup.objects.count() == 1


def test_each_language_has_its_own_kept_page(seeded: None) -> None:
    english, spanish = page(Client(), "/signup/?lang=en"), page(Client(), "/signup/?lang=es")
    again = page(Client(), "/signup/?lang=en")

    assert '<html lang="en">' in english and '<html lang="en">' in again
    assert '<html lang="es">' in spanish
    assert "Sign up for our emails" in again and "Sign up for our emails" not in spanish
    assert kept_signup_html("en") != kept_signup_html("es")


def test_a_renamed_topic_shows_on_the_next_page(newsletter: Topic) -> None:
    assert "Newsletter" in page(Client())
    newsletter.label = "The Weekly Letter"
    newsletter.save()
    assert "The Weekly Letter" in page(Client())


def test_a_topic_translation_shows_on_the_next_page(newsletter: Topic) -> None:
    page(Client(), "/signup/?lang=es")
    TopicTranslation.objects.update_or_create(
        topic=newsletter, language="es", defaults={"label": "La carta semanal"}
    )
    assert "La carta semanal" in page(Client(), "/signup/?lang=es")


def test_a_retired_topic_leaves_the_next_page(seeded: None, offers: Topic) -> None:
    assert "Email Special Offers" in page(Client())
    offers.active = False
    offers.save()
    assert "Email Special Offers" not in page(Client())


def test_a_new_consent_version_shows_and_is_signed_on_the_next_page(seeded: None) -> None:
    page(Client())
    ConsentWording.objects.create(language="en", text="We keep your consent, version two.")
    html = page(Client())

    assert "We keep your consent, version two." in html
    response = Client().post("/signup/", {"email": "", "consent": CONSENT.search(html)[1]})  # type: ignore[index]
    # The signed value names the new version: the form shows it, not "changed".
    assert "We keep your consent, version two." in response.content.decode()
    assert "has changed since this page was opened" not in response.content.decode()


def test_a_brand_change_shows_on_the_next_page(seeded: None) -> None:
    page(Client())
    brand = Brand.objects.get(pk=Brand.SINGLETON_PK)
    brand.name = "Kept Brand Ltd"
    brand.save()
    assert "Kept Brand Ltd" in page(Client())


def test_a_warm_blank_page_renders_nothing_and_asks_the_database_nothing(
    seeded: None, django_assert_num_queries: object
) -> None:
    page(Client())
    page(Client(), "/preferences/")
    with renders() as rendered, django_assert_num_queries(0):  # type: ignore[operator]
        page(Client())
        page(Client(), "/preferences/")
    assert rendered == []


def test_a_page_with_errors_is_rendered_for_its_request(seeded: None) -> None:
    page(Client())
    with renders() as rendered:
        response = Client().post("/signup/", {"email": "not an address"})
    assert "web/signup.html" in rendered
    assert "not an address" in response.content.decode()


def test_the_link_request_page_keeps_its_expired_variant_apart() -> None:
    first = page(Client(), "/preferences/")
    expired = page(Client(), "/preferences/?expired")
    second = page(Client(), "/preferences/")

    assert "That link has expired" in expired and "That link has expired" not in second
    assert CSRF.search(first)[1] != CSRF.search(second)[1]  # type: ignore[index]
    assert CSRF.sub("-", first) == CSRF.sub("-", second)


def test_a_link_request_sent_from_the_kept_page_is_accepted() -> None:
    page(Client(), "/preferences/")
    browser = Client(enforce_csrf_checks=True)
    html = page(browser, "/preferences/")
    token = CSRF.search(html)[1]  # type: ignore[index]
    response = browser.post("/preferences/", {"csrfmiddlewaretoken": token, "email": "someone@example.com"})

    assert response.status_code == 303 and response["Location"] == "/preferences/sent/"
