"""English and Spanish: ?lang=, the stored preference, Accept-Language, and
emails in the subscriber's language."""

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.models import Topic
from tests.helpers import confirm_latest, html_of, html_part, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db


def test_signup_page_in_spanish_from_accept_language(client: Client, seeded: None) -> None:
    response = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    html = html_of(response)
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Correo electrónico" in html
    assert "Boletín" in html
    assert "Ofertas especiales por correo" in html
    assert "Sign up" not in html


def test_lang_parameter_wins_and_is_remembered(client: Client, seeded: None) -> None:
    response = client.get("/signup/?lang=es", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "es"
    assert response.cookies["django_language"].value == "es"
    again = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="en")
    assert again["Content-Language"] == "es"
    back = client.get("/signup/?lang=en")
    assert back["Content-Language"] == "en"


def test_unsupported_lang_is_ignored(client: Client, seeded: None) -> None:
    assert client.get("/signup/?lang=xx", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"


def test_errors_are_in_spanish(client: Client, seeded: None) -> None:
    response = client.post("/signup/?lang=es", {"email": "", "language": "es"})
    html = html_of(response)
    assert "Hay un problema" in html
    assert "Escribe tu correo electrónico" in html


def test_a_refused_address_is_explained_in_spanish(client: Client, seeded: None) -> None:
    response = client.post("/signup/?lang=es", {"email": '"ana"@example.com', "language": "es"})
    assert "Escribe el correo electrónico sin comillas" in html_of(response)


def test_emails_follow_the_chosen_language(client: Client, newsletter: Topic, offers: Topic) -> None:
    sign_up(client, "ana@example.com", offers, first_name="Ana", language="es")
    run_worker()
    confirmation = mail.outbox[-1]
    assert "Hola, Ana" in confirmation.body
    assert confirmation.subject == "Confirma tu suscripción"
    # The confirm page speaks the sign-up's language to a browser with no preference.
    page = Client().get(link_in(confirmation, "/confirm/"))
    assert page["Content-Language"] == "es"

    confirm_latest(client)
    offer = mail.outbox[-1]
    assert "cupón" in offer.subject.lower()
    assert "Actualizar datos" in offer.body
    assert "Actualizar datos" in html_part(offer)
    assert '<html lang="es">' in html_part(offer)
