"""axe-core finds no violation, of any impact, on any public page, in every
language the site speaks (settings.LANGUAGES: a language added there is
covered here without a change), on a desktop (1280 px) and a phone (390 px).

Fast on purpose: one browser, a fresh context per language and width, and
the pages reached through the test helpers and signed links (the forms sent
by script, `form.submit()`) rather than by walking the journey each time:
the keyboard journey has its own test (test_keyboard_journey_browser.py).
Pages that need a failure to appear (the 500 and 503 pages) are rendered by
the site's own views and served at a URL of the live server, so their
stylesheets load as they would."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import OperationalError
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from signup_site.campaign.models import PendingSignup, Subscriber, Topic
from signup_site.web import errors
from signup_site.web.links import site_links
from tests.helpers import run_worker, sign_up, take_in_requests

from .support import assert_no_axe_violations, link_in

ERRORS = ".error-summary[role=alert]"
STATUS = "[role=status]"
REASON = "form[action$='/reason/']"
FEWER = "main form[action$='/fewer/']"
UNSUBSCRIBE = "main form[action='']"
UNDO = "form[action$='/undo/']"
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
LANGUAGES = [code for code, _name in django_settings.LANGUAGES]
# Accept-Language as a browser set to that language sends it.
BROWSER_LOCALE = {"pt-br": "pt-BR"}


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(WIDTHS))
def sized_page(request: pytest.FixtureRequest, browser: Browser, language: str) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        locale=BROWSER_LOCALE.get(language, language), viewport=WIDTHS[request.param]
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


class Audit:
    """Visit pages and collect every page's violations, so one run reports
    them all instead of stopping at the first."""

    def __init__(self, page: Page, site: str, language: str) -> None:
        self.page, self.site, self.language = page, site, language
        self.failures: list[str] = []
        self.seen: list[str] = []

    def check(self, name: str, shows: str = "") -> None:
        """Audit the page as it is; `shows` is a selector that proves it is
        the state named (an error summary, a status message)."""
        self.seen.append(name)
        if shows:
            expect(self.page.locator(shows).first, f"{name}: no {shows}").to_be_visible()
        lang = self.page.locator("html").get_attribute("lang")
        if lang != self.language:
            self.failures.append(f"{name}: <html lang={lang!r}>, not {self.language!r}")
        try:
            assert_no_axe_violations(self.page, f"{name} ({self.page.url})")
        except AssertionError as failure:
            self.failures.append(str(failure))

    def visit(self, name: str, path: str, shows: str = "") -> None:
        self.page.goto(path if path.startswith("http") else self.site + path)
        self.check(name, shows)

    def submit(
        self, name: str, form: str = "main form", shows: str = "", button: str = "", **fields: str
    ) -> None:
        """Set `fields` (by name) in the form and send it, then audit what comes back.
        Set as a script would, past `maxlength`, to reach the server's errors."""
        for field, value in fields.items():
            self.page.locator(form).first.locator(f"[name={field}]").evaluate(
                "(el, v) => { el.value = v }", value
            )
        sending = self.page.locator(form).first
        with self.page.expect_navigation():
            if button:  # sent by that button, its name and value with it
                sending.evaluate("(f, b) => f.requestSubmit(f.querySelector(b))", button)
            else:
                sending.evaluate("f => f.submit()")
        self.check(name, shows)

    def serve(self, name: str, path: str, html: str, status: int) -> None:
        """Serve `html` at `path` of the live server and audit it."""
        self.page.route(
            self.site + path, lambda route: route.fulfill(status=status, body=html, content_type="text/html")
        )
        self.visit(name, path, "h1")


def rendered_error(status: int, language: str) -> str:
    """An error page as the site's handlers render it (500, 503 while our
    database is unreachable, 400), or the preferences page's 503 while
    Campaign is down."""
    request = RequestFactory().get("/")
    with translation.override(language):
        if status == 503:
            try:
                raise OperationalError("the database is unreachable")
            except OperationalError:
                response = errors.server_error(request)
        elif status == 500:
            response = errors.server_error(request)
        elif status == 400:
            response = errors.bad_request(request)
        else:
            response = render(request, "web/prefs_unavailable.html", status=503)
    return response.content.decode()


def test_every_public_page_has_no_axe_violation(
    sized_page: Page, site: str, language: str, unlimited: None, settings: Any
) -> None:
    audit = Audit(sized_page, site, language)
    offers = Topic.objects.get(slug="special-offers")

    # A confirmed person, set up with the test client.
    client = Client()
    sign_up(client, "ana@example.com", offers, first_name="Ana", language=language)
    run_worker()
    # To the result page (Post/Redirect/Get).
    assert client.post(link_in(mail.outbox[-1], site, "/confirm/").removeprefix(site)).status_code == 303
    run_worker()
    ana = Subscriber.objects.get(email="ana@example.com")

    audit.visit("sign-up", "/signup/")
    audit.submit("sign-up with errors", shows=ERRORS, last_name="x" * 60)
    audit.page.locator("main form [name=topics]").first.check()
    audit.submit(
        "check your email", shows="form[action='/signup/sent/']", email="bea@example.com", last_name=""
    )
    take_in_requests()
    run_worker()
    confirmation = mail.outbox[-1]
    audit.visit("preferences before confirming", link_in(confirmation, site, "/preferences/"), STATUS)
    audit.visit("confirm", link_in(confirmation, site, "/confirm/"))
    audit.submit("confirmed", shows="a[href='/preferences/edit/']")

    audit.visit("preferences link request", "/preferences/")
    audit.submit("preferences link request with errors", shows=ERRORS, email="")
    audit.submit("preferences link sent", email="ana@example.com")

    audit.page.goto(site_links.preferences_url(ana))
    audit.check("preferences")
    audit.submit("preferences with errors", shows=ERRORS, first_name="x" * 40)
    audit.submit("preferences updated", shows=STATUS, first_name="Anita")
    audit.submit("preferences, new address pending", shows=STATUS, email="ana.new@example.com")
    audit.submit("fewer emails chosen", form=FEWER, button="[name=frequency][value=weekly]", shows=UNDO)
    audit.submit("fewer emails undone", form=UNDO, shows="h1")
    run_worker()
    change = next(m for m in reversed(mail.outbox) if "/preferences/email/" in str(m.body))
    audit.visit("email change confirm", link_in(change, site, "/preferences/email/"))
    audit.submit("email change done")
    audit.visit("delete my data", "/preferences/delete/")

    audit.visit("unsubscribe", site_links.unsubscribe_url(ana, offers))
    audit.submit("paused", form=FEWER, button="[name=days]", shows=UNDO)
    audit.page.goto(site_links.preferences_url(ana))
    audit.check("preferences while paused", shows=FEWER + " [name=resume]")
    audit.submit("pause undone", form=FEWER, button="[name=resume]", shows="h1")
    audit.visit("unsubscribe", site_links.unsubscribe_url(ana, offers))
    audit.submit("goodbye", form=UNSUBSCRIBE, shows=REASON)
    audit.submit("reason with errors", form=REASON, shows=ERRORS, reason_text="x" * 1001)
    audit.submit("reason thanks", form=REASON, shows=".alert-success[role=status]", reason_text="")
    audit.submit("undo", form=UNDO, shows="h1")

    audit.visit("bad link", "/confirm/not-a-real-token/")
    audit.visit("404", "/no-such-page/")
    audit.serve("error 500", "/error-500/", rendered_error(500, language), 500)
    audit.serve("error 503", "/error-503/", rendered_error(503, language), 503)
    audit.serve("error 400", "/error-400/", rendered_error(400, language), 400)
    audit.serve("Campaign unavailable", "/campaign-down/", rendered_error(0, language), 503)

    # The privacy pages end with the person erased.
    audit.visit("delete my data", "/preferences/delete/")
    audit.submit(
        "data deleted", form="main form[action='/preferences/delete/']", button="[name=confirm]", shows=STATUS
    )

    # Refused by the limits: every emailing form answers 429.
    settings.LIMIT_IP_PER_HOUR = settings.LIMIT_IP_UNPROVEN_PER_HOUR = 0
    audit.visit("preferences link request", "/preferences/")
    audit.submit("limited (429)", shows="[role=alert]", email="ana.new@example.com")

    # A form whose CSRF cookie is gone (blocked cookies, a stale page).
    audit.visit("sign-up", "/signup/")
    audit.page.context.clear_cookies()
    audit.submit("CSRF failure", email="cy@example.com")

    assert not PendingSignup.objects.filter(subscriber__email="cy@example.com").exists()
    assert not audit.failures, f"{len(audit.failures)} page(s) fail:\n\n" + "\n\n".join(audit.failures)
