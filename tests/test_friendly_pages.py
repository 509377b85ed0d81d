"""Messages and pages a person meets when something is off: length and
required errors that name the field, in English and Spanish (tú); a branded,
translated 404 even under DEBUG; a CSRF failure that explains itself."""

import pytest
from django.test import Client
from django.utils import translation

from signup_site.brand.models import Brand
from signup_site.web.forms import OptOutReasonForm
from tests.helpers import html_of

pytestmark = pytest.mark.django_db

TOO_LONG_NAME = "x" * 300


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "First name can be at most 30 characters; you typed 300."),
        ("es", "El nombre puede tener como máximo 30 caracteres; has escrito 300."),
    ],
)
def test_a_too_long_first_name_is_named_with_its_limit(
    client: Client, seeded: None, language: str, expected: str
) -> None:
    response = client.post(
        f"/signup/?lang={language}", {"email": "ana@example.com", "first_name": TOO_LONG_NAME}
    )
    html = html_of(response)
    assert expected in html
    assert "Ensure this value" not in html
    assert "Asegúrese" not in html  # Django's own Spanish speaks usted; the site speaks tú


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Last name can be at most 50 characters; you typed 300."),
        ("es", "Los apellidos pueden tener como máximo 50 caracteres; has escrito 300."),
    ],
)
def test_a_too_long_last_name_is_named_with_its_limit(
    client: Client, seeded: None, language: str, expected: str
) -> None:
    response = client.post(
        f"/signup/?lang={language}", {"email": "ana@example.com", "last_name": TOO_LONG_NAME}
    )
    assert expected in html_of(response)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Choose your preferred language"), ("es", "Elige tu idioma preferido")],
)
def test_a_missing_language_is_asked_for_by_name(
    client: Client, seeded: None, language: str, expected: str
) -> None:
    response = client.post(f"/signup/?lang={language}", {"email": "ana@example.com"})
    html = html_of(response)
    assert expected in html
    assert "This field is required" not in html
    assert "Este campo es obligatorio" not in html


def test_the_reason_form_names_its_limit() -> None:
    with translation.override("en"):
        form = OptOutReasonForm({"reason_text": "x" * 1200})
        assert form.errors["reason_text"] == ["Your message can be at most 1000 characters; you typed 1200."]


@pytest.mark.parametrize(("language", "heading"), [("en", "Page not found"), ("es", "Página no encontrada")])
def test_an_unknown_url_under_debug_is_the_branded_404(
    client: Client, settings: object, language: str, heading: str
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    Brand.objects.update_or_create(pk=1, defaults={"name": "Acme Mail"})
    response = client.get(f"/no-such-page/?lang={language}")
    html = html_of(response)
    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in html
    assert "Acme Mail" in html
    assert "URLconf" not in html  # not Django's technical page listing every URL pattern


def test_a_view_raising_404_under_debug_is_the_branded_404(client: Client, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    response = client.get("/dev/mailbox/no-such-email/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html_of(response)
    assert "Technical details" not in html_of(response)


def test_the_technical_404_stays_available_on_request(client: Client, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    settings.TECHNICAL_404 = True  # type: ignore[attr-defined]
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "explains"),
    [
        ("en", "Your form could not be sent", "cookies"),
        ("es", "No hemos podido enviar tu formulario", "cookies"),
    ],
)
def test_a_csrf_failure_is_branded_translated_and_leads_back(
    seeded: None, language: str, heading: str, explains: str
) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    response = browser.post(
        "/signup/", {"email": "ana@example.com"}, HTTP_REFERER="http://testserver/signup/"
    )
    html = html_of(response)
    assert response.status_code == 403
    assert f"<h1>{heading}</h1>" in html
    assert explains in html
    assert 'href="/signup/"' in html
    assert f'<html lang="{language}">' in html
    assert "CSRF verification failed" not in html


def test_a_csrf_failure_never_links_to_another_site() -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/preferences/", {"email": "ana@example.com"}, HTTP_REFERER="https://evil.example/x"
    )
    html = html_of(response)
    assert response.status_code == 403
    assert "evil.example" not in html
    assert 'href="/preferences/"' in html


def test_under_debug_a_missing_slash_still_redirects(client: Client, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    response = client.get("/signup")
    assert response.status_code == 301
    assert response["Location"] == "/signup/"


def test_a_views_own_404_response_is_left_as_it_is(client: Client, settings: object) -> None:
    """A logo that is not there is an empty 404 (an image, not a page for people)."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    response = client.get("/brand/logo/0123456789abcdef.png")
    assert response.status_code == 404
    assert response.content == b""
