"""Real Chromium (Debian's, driven by Playwright) against pytest-django's live
server: for what only a browser shows — focus, keyboard use, accessibility.

Every test here is marked `browser`; `pytest -m "not browser"` skips them.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from signup_site.campaign.models import LocalService, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make browsers` installs Debian's")
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """The live server's base URL, with the default topics in its database.

    `live_server` needs a transactional database, and the flush that ends
    each transactional test also removes what the data migration seeded
    (checked: only the first browser test of a run finds the two topics).
    Re-seeding through the migration's own function is cheaper and plainer
    than `serialized_rollback` (which would serialise and reload the whole
    database around every test); `seed_default_topics` is idempotent.
    Emailed links are made from SITE_URL, so they point at the live server.
    """
    seed_default_topics(Topic, TopicTranslation, LocalService)
    assert set(Topic.objects.values_list("label", flat=True)) >= {"Newsletter", "Email Special Offers"}
    settings.SITE_URL = live_server.url
    return str(live_server.url)


def _new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="en-GB", **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = _new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def browser_without_js(browser: Browser) -> Iterator[Page]:
    context = _new_context(browser, java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def dev_mailbox(settings: Any, tmp_path: Path) -> Path:
    """Mail goes to the development mailbox, shown at /dev/mailbox/ under DEBUG."""
    settings.DEBUG = True
    settings.MAILBOX_DIR = tmp_path
    settings.MAILERS = {"default": {"BACKEND": "signup_site.web.mailbox.MailboxBackend"}}
    return tmp_path
