"""The keyboard focus is plain to see (WCAG 2.2 2.4.7, 2.4.11, 2.4.13): on
every kind of control reached with Tab, a solid outline at least 3 px wide,
offset from the control, in the brand's accent, at least 3:1 against the page
(not Bootstrap's pale glow). The accent passes 4.5:1 with white before the
site takes it (signup_site/brand/colours.py), so it passes 3:1 too."""

import re
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page

from signup_site.brand.colours import contrast_ratio, rgb
from signup_site.campaign.models import Subscriber, Topic
from signup_site.web.links import site_links
from tests.brand_support import set_brand
from tests.helpers import sign_up

from .support import assert_focused, focus_description, tab_to

ACCENT = "#7a1f5c"
FOCUS_STYLE = """el => {
    const style = getComputedStyle(el);
    return {style: style.outlineStyle, width: style.outlineWidth, colour: style.outlineColor,
            offset: style.outlineOffset, page: getComputedStyle(document.body).backgroundColor};
}"""
CONTROLS = {
    "text input": "#id_email",
    "select": "#id_language",
    "checkbox": "input[type=checkbox][name=topics]",
    "proof-of-work checkbox": ".altcha input[type=checkbox]",
    "button": "main form button[type=submit]",
    "link": "footer a",
    "language link": "header nav a",
}


def channels(css_colour: str) -> tuple[int, int, int]:
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, [\d.]+)?\)", css_colour)
    assert found, css_colour
    red, green, blue = (int(value) for value in found.groups())
    return red, green, blue


def focus_style(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(f"() => ({FOCUS_STYLE})(document.activeElement)"))


@pytest.mark.parametrize("control", list(CONTROLS))
def test_tab_shows_a_solid_accent_outline_on_every_control(page: Page, site: str, control: str) -> None:
    set_brand(primary_colour=ACCENT)
    page.goto(f"{site}/signup/")
    tab_to(page, CONTROLS[control], limit=40)
    style = focus_style(page)
    where = f"{control} ({focus_description(page)}): {style}"
    assert style["style"] == "solid", where
    assert float(style["width"].removesuffix("px")) >= 3, where
    assert float(style["offset"].removesuffix("px")) >= 1, where
    assert channels(style["colour"]) == rgb(ACCENT), where
    assert contrast_ratio(channels(style["colour"]), channels(style["page"])) >= 3, where


def test_a_radio_shows_the_outline(page: Page, site: str) -> None:
    """The unsubscribe page's radios (entered with Tab, moved in with the arrows)."""
    set_brand(primary_colour=ACCENT)
    offers = Topic.objects.get(slug="special-offers")
    sign_up(Client(), "rae@example.com", offers)
    page.goto(site_links.unsubscribe_url(Subscriber.objects.get(email="rae@example.com"), offers))
    tab_to(page, "#scope-topic")
    page.keyboard.press("ArrowDown")
    assert_focused(page, "#scope-all")
    style = focus_style(page)
    assert style["style"] == "solid" and float(style["width"].removesuffix("px")) >= 3, style
    assert channels(style["colour"]) == rgb(ACCENT), style
