"""The brand, set in the admin, on every public page; its logo and accent
served by the app; a colour that fails WCAG AA refused; first boot from the
environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from pytest_django import Settings

from signup_site.brand.brand import current_brand
from signup_site.brand.colours import contrast_ratio, contrast_with_white, rgb
from signup_site.brand.models import Brand
from tests.brand_support import BRAND, POSTAL_LINE, admin_client, png, post_brand, set_brand
from tests.helpers import html_of

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent

PAGES = ["/signup/", "/preferences/", "/signup/sent/"]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("path", PAGES)
def test_a_brand_set_in_the_admin_shows_on_every_page(
    client: Client, seeded: None, path: str, language: str
) -> None:
    set_brand(logo=png())
    logo = current_brand().logo_path
    html = html_of(client.get(f"{path}?lang={language}"))
    # Header: the logo (decorative, the name beside it names the link) and the name.
    assert f'<img class="brand-logo" src="{logo}" alt="" width="120" height="40">' in html
    assert "<span>Acme Café</span>" in html
    assert "Email preferences" not in html
    # Title: the page's, then the brand's.
    title = html.split("<title>")[1].split("</title>")[0]
    assert title.endswith("\N{EN DASH} Acme Café")
    # Footer: privacy, terms, support, postal address, in the page's language.
    footer = html.split("<footer")[1]
    privacy, terms, helps = {
        "en": ("Privacy policy", "Terms", "Help and contact"),
        "es": ("Política de privacidad", "Condiciones", "Ayuda y contacto"),
    }[language]
    assert f'<a href="https://acme.example/privacy">{privacy}</a>' in footer
    assert f'<a href="https://acme.example/terms">{terms}</a>' in footer
    assert f'<a href="mailto:help@acme.example">{helps}</a>' in footer
    assert POSTAL_LINE in footer
    # The accent, as a stylesheet of the site's own: the strict CSP stays.
    assert '<link rel="stylesheet" href="/brand/accent/7a1f5c.css">' in html


def test_the_csp_stays_strict_and_the_accent_is_a_stylesheet(client: Client, seeded: None) -> None:
    set_brand()
    response = client.get("/signup/")
    csp = response["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    css = client.get("/brand/accent/7a1f5c.css")
    assert css.status_code == 200
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert css["Cache-Control"] == "public, max-age=31536000, immutable"
    body = css.content.decode()
    assert "--brand-accent: #7a1f5c;" in body
    assert "--bs-btn-bg: #7a1f5c;" in body


def test_an_accent_stylesheet_for_a_colour_that_fails_contrast_is_not_served(client: Client) -> None:
    assert client.get("/brand/accent/ffcc00.css").status_code == 404
    assert client.get("/brand/accent/0a58ca.css").status_code == 200


def test_contrast_is_wcags() -> None:
    assert contrast_ratio(rgb("#000000"), rgb("#ffffff")) == pytest.approx(21.0)
    # #767676 is the lightest grey with 4.5:1 on white; #777777 is just under.
    assert contrast_with_white("#767676") >= 4.5 > contrast_with_white("#777777")


@pytest.mark.parametrize("colour", ["#ffcc00", "#777777", "#3b82f6"])
def test_a_colour_below_aa_contrast_is_refused_in_the_admin(seeded: None, colour: str) -> None:
    client = admin_client()
    response = post_brand(client, primary_colour=colour)
    assert response.status_code == 200
    page = html_of(response)
    assert "with white" in page and "need at least 4.5:1 for WCAG 2.2 AA: choose a darker colour" in page
    assert Brand.objects.get().primary_colour != colour
    assert current_brand().primary_colour == "#0a58ca"


def test_the_logo_is_served_from_the_database_with_long_cache_headers(client: Client) -> None:
    image = png(64, 32)
    set_brand(logo=image)
    path = current_brand().logo_path
    assert path.startswith("/brand/logo/") and path.endswith(".png")
    response = client.get(path)
    assert response.status_code == 200
    assert response.content == image
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_old_logo_url_leads_to_the_current_logo(client: Client) -> None:
    set_brand(logo=png(10, 10))
    old = current_brand().logo_path
    set_brand(logo=png(20, 20))
    new = current_brand().logo_path
    assert new != old
    response = client.get(old)
    assert response.status_code == 302 and response["Location"] == new


@pytest.mark.parametrize(
    "data, name",
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.png"),
        (b"GIF89a" + b"\x00" * 20, "logo.gif"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "logo.png"),
    ],
)
def test_anything_but_a_png_or_jpeg_logo_is_refused(data: bytes, name: str) -> None:
    response = post_brand(admin_client(), logo=data, logo_name=name)
    assert response.status_code == 200
    assert "The logo must be a PNG or JPEG image (SVG is not accepted)." in html_of(response)
    assert Brand.objects.get().logo_sha256 == ""


def test_a_brand_saved_in_the_admin_is_seen_at_once(client: Client, seeded: None) -> None:
    assert "\N{EN DASH} Signup Site</title>" in html_of(client.get("/signup/"))  # cached now
    set_brand()
    assert "\N{EN DASH} Acme Café</title>" in html_of(client.get("/signup/"))


def test_first_boot_takes_the_brand_from_the_environment(
    client: Client, seeded: None, settings: Settings
) -> None:
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "BRAND_NAME": "Nordlys",
        "BRAND_SENDER_EMAIL": "post@nordlys.example",
        "BRAND_POSTAL_ADDRESS": "Nordlys AS\\nStorgata 1\\n0155 Oslo",
        "BRAND_PRIVACY_URL": "https://nordlys.example/privacy",
        "BRAND_PRIMARY_COLOUR": "1e5631",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import json, signup_site.settings as s; print(json.dumps(s.BRAND_DEFAULTS))"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    defaults = json.loads(done.stdout)
    assert defaults["postal_address"] == "Nordlys AS\nStorgata 1\n0155 Oslo"
    settings.BRAND_DEFAULTS = defaults
    assert not Brand.objects.exists()

    html = html_of(client.get("/signup/"))
    assert "\N{EN DASH} Nordlys</title>" in html
    assert '<a href="https://nordlys.example/privacy">Privacy policy</a>' in html
    assert "Nordlys AS, Storgata 1, 0155 Oslo" in html
    assert "/brand/accent/1e5631.css" in html
    row = Brand.objects.get()
    assert (row.name, row.sender_email, row.primary_colour) == ("Nordlys", "post@nordlys.example", "#1e5631")
    # From then on the admin's values win over the environment.
    set_brand()
    assert "\N{EN DASH} Acme Café</title>" in html_of(client.get("/signup/"))


def test_a_bad_colour_in_the_environment_fails_the_check(settings: Settings) -> None:
    from signup_site.brand.checks import check_brand_defaults

    settings.BRAND_DEFAULTS = {**settings.BRAND_DEFAULTS, "primary_colour": "#ffcc00"}
    assert "brand.E001" in [problem.id for problem in check_brand_defaults()]
    settings.BRAND_DEFAULTS = {**settings.BRAND_DEFAULTS, "primary_colour": "#1e5631"}
    assert "brand.E001" not in [problem.id for problem in check_brand_defaults()]


def test_the_brand_list_is_the_one_brand_and_cannot_be_deleted() -> None:
    client = admin_client()
    response = client.get("/admin/brand/brand/")
    assert response.status_code == 302 and response["Location"] == "/admin/brand/brand/1/change/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and BRAND["name"] not in html_of(page)  # still the default
    assert client.post("/admin/brand/brand/1/delete/", {"post": "yes"}).status_code == 403
    assert Brand.objects.count() == 1


def test_a_brand_without_postal_address_is_warned_of_until_the_admin_fills_it(settings: Settings) -> None:
    from signup_site.brand.checks import check_brand_defaults

    settings.DEBUG = False
    current_brand()  # created from the (empty) environment values
    assert "brand.W001" in [problem.id for problem in check_brand_defaults()]
    set_brand()
    assert "brand.W001" not in [problem.id for problem in check_brand_defaults()]
