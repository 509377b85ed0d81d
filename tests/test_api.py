"""`POST /api/signup`: the sign-up page's twin for other sites, as JSON or as
a plain HTML form; same checks, same consent evidence, same journey."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.test.client import RequestFactory
from pytest_django import Settings

from signup_site.campaign.models import ConsentRecord, PendingSignup, Subscriber, Topic
from signup_site.content.consent import DEFAULT_VERSION as CONSENT_VERSION
from signup_site.content.consent import consent_sha256, current_wording
from signup_site.web.api import MAX_BODY_BYTES
from signup_site.web.views import submit_signup
from tests.helpers import confirm_latest, html_of, run_worker, sign_up

pytestmark = pytest.mark.django_db

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# What a browser sends with a form post.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def post_json(client: Client, body: object, **headers: Any) -> Any:
    return client.post("/api/signup", json.dumps(body), content_type=JSON, **headers)


def post_form(client: Client, fields: dict[str, Any], path: str = "/api/signup", **headers: Any) -> Any:
    return client.post(path, urlencode(fields, doseq=True), content_type=FORM, **headers)


def test_a_json_sign_up_starts_the_same_journey_as_the_page(client: Client, newsletter: Topic) -> None:
    response = post_json(
        client,
        {"email": "Jane@Example.com", "first_name": " Jane ", "language": "es", "topics": ["newsletter"]},
    )

    assert response.status_code == 202
    assert response["Content-Type"] == JSON
    body = response.json()
    assert body["status"] == "accepted"
    # It says which wording it recorded: the statement in the request's language.
    assert body["consent"] == {
        "version": CONSENT_VERSION,
        "language": "en",
        "sha256": consent_sha256(current_wording("en").text),
        "text": current_wording("en").text,
    }
    run_worker()  # the worker takes the sign-up in
    signup = PendingSignup.objects.get()
    assert (signup.subscriber.email, signup.first_name, signup.language) == ("jane@example.com", "Jane", "es")
    assert list(signup.topics.all()) == [newsletter]
    record = ConsentRecord.objects.get()
    assert (record.kind, record.source, record.topics) == (
        ConsentRecord.Kind.REQUEST,
        "/api/signup",
        ["NEWSLETTER"],
    )
    assert (record.wording_version, record.wording_sha256) == (CONSENT_VERSION, body["consent"]["sha256"])

    confirm_latest(client)
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    assert "confirm" in mail.outbox[0].subject.lower()


def test_json_names_topics_by_slug_or_id_and_defaults_the_language(
    client: Client, newsletter: Topic, offers: Topic
) -> None:
    response = post_json(
        client,
        {"email": "ana@example.com", "topics": [newsletter.pk, "special-offers"]},
        HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9",
    )
    assert response.status_code == 202
    assert response.json()["consent"]["language"] == "es"
    run_worker()  # the worker takes the sign-up in
    signup = PendingSignup.objects.get()
    assert set(signup.topics.all()) == {newsletter, offers}
    assert signup.language == "es"
    assert ConsentRecord.objects.get().wording_sha256 == response.json()["consent"]["sha256"]


def test_a_browsers_form_post_is_redirected_to_check_your_email(client: Client, newsletter: Topic) -> None:
    response = post_form(
        client,
        {"email": "web@example.com", "language": "en", "topics": ["newsletter"]},
        HTTP_ACCEPT=BROWSER_ACCEPT,
    )
    assert response.status_code == 303
    assert response["Location"] == "/signup/sent/"
    assert "Check your email" in html_of(client.get(response["Location"]))
    run_worker()
    assert mail.outbox[0].to == ["web@example.com"]


def test_a_form_post_that_asks_for_json_gets_json(client: Client, newsletter: Topic) -> None:
    response = post_form(
        client, {"email": "js@example.com", "language": "en", "topics": [str(newsletter.pk)]}
    )
    assert (response.status_code, response["Content-Type"]) == (202, JSON)
    run_worker()  # the worker takes the sign-up in
    assert PendingSignup.objects.filter(subscriber__email="js@example.com").exists()


# Each: what was sent. The page's answer is the reference.
INVALID = [
    {"email": "", "language": "en", "topics": ["newsletter"]},
    {"email": "not-an-address", "language": "en"},
    {"email": "root@[127.0.0.1]", "language": "en", "topics": ["newsletter"]},
    {"email": "who@localhost", "language": "en", "topics": ["newsletter"]},
    {"email": "ok@example.com", "language": "xx", "topics": ["newsletter"]},
    {"email": "ok@example.com", "language": "en", "topics": ["no-such-topic"]},
    {"email": "ok@example.com", "language": "en", "topics": ["9" * 30]},
    {"email": "ok@example.com", "language": "en", "topics": ["newsletter"], "first_name": "x" * 31},
    {"email": "a" * 65 + "@example.com", "language": "en", "topics": ["newsletter"]},
]


def page_errors(client: Client, fields: dict[str, Any], **headers: Any) -> dict[str, list[str]]:
    response = client.post("/signup/", fields, **headers)
    assert response.status_code == 200
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def api_errors(response: Any) -> dict[str, list[str]]:
    assert (response.status_code, response["Content-Type"]) == (400, JSON)
    assert response.json()["error"] == "invalid"
    return {name: [e["message"] for e in errors] for name, errors in response.json()["errors"].items()}


@pytest.mark.parametrize("fields", INVALID)
def test_the_api_validates_exactly_as_the_page_does(
    client: Client, seeded: None, fields: dict[str, Any]
) -> None:
    expected = page_errors(client, fields)
    assert expected

    assert api_errors(post_json(client, fields)) == expected
    assert api_errors(post_form(client, fields)) == expected
    assert not Subscriber.objects.exists()


def test_errors_come_in_the_language_the_request_asks_for(client: Client, seeded: None) -> None:
    fields = {"email": "not-an-address", "language": "es"}
    english = api_errors(post_json(client, fields))
    spanish = api_errors(post_json(client, fields, HTTP_ACCEPT_LANGUAGE="es"))
    assert spanish == page_errors(client, fields, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish["email"] != english["email"]
    assert api_errors(post_json(client, fields, QUERY_STRING="lang=es")) == spanish


def test_a_browsers_form_post_with_errors_gets_a_page_showing_them(client: Client, seeded: None) -> None:
    fields = {"email": "not-an-address", "first_name": "Ana", "language": "es"}
    response = post_form(client, fields, "/api/signup?lang=es", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = html_of(response)
    assert "Hay un problema" in html  # the error summary, in the language the form asked for
    assert 'value="not-an-address"' in html and 'value="Ana"' in html
    assert 'aria-invalid="true"' in html
    # Sent again, it goes back to the API: no CSRF token, no cookie.
    assert '<form method="post" action="/api/signup?lang=es"' in html
    assert "csrfmiddlewaretoken" not in html
    assert not response.cookies
    assert not Subscriber.objects.exists()


def test_the_answer_is_the_same_for_known_and_unknown_addresses(client: Client, newsletter: Topic) -> None:
    sign_up(client, "member@example.com", newsletter)
    confirm_latest(client)

    def answer(email: str) -> tuple[int, bytes]:
        response = post_json(client, {"email": email, "language": "en", "topics": ["newsletter"]})
        return response.status_code, response.content

    def browser_answer(email: str) -> tuple[int, str]:
        fields = {"email": email, "language": "en", "topics": ["newsletter"]}
        response = post_form(client, fields, HTTP_ACCEPT=BROWSER_ACCEPT)
        return response.status_code, response["Location"]

    assert answer("member@example.com") == answer("stranger@example.com")
    assert browser_answer("member@example.com") == browser_answer("other@example.com")


def test_no_cookie_session_or_csrf_token_is_needed(settings: Settings, newsletter: Topic) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, {"email": "x@example.com", "topics": ["newsletter"]}, QUERY_STRING="lang=es")
    assert response.status_code == 202
    assert not response.cookies  # not even the language one that ?lang= sets on the pages


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", ""]
)
def test_other_content_types_are_415(client: Client, seeded: None, content_type: str) -> None:
    response = client.post("/api/signup", b'{"email": "a@example.com"}', content_type=content_type)
    assert (response.status_code, response["Content-Type"]) == (415, JSON)
    assert response.json()["error"] == "unsupported_media_type"
    assert JSON in response["Accept-Post"]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405(client: Client, method: str) -> None:
    response = getattr(client, method)("/api/signup")
    assert (response.status_code, response["Content-Type"]) == (405, JSON)
    assert response["Allow"] == "OPTIONS, POST"


def test_oversized_bodies_are_413(client: Client, seeded: None) -> None:
    big = {"email": "a@example.com", "topics": ["newsletter"], "padding": "x" * MAX_BODY_BYTES}
    assert post_json(client, big).status_code == 413
    assert post_form(client, big).status_code == 413
    # Small, but more fields than Django will parse.
    many = "&".join(["t=1"] * 1500)
    response = client.post("/api/signup", many, content_type=FORM)
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "__all__"),
        (b"\xff\xfe{}", "__all__"),
        (b'["a@example.com"]', "__all__"),
        (b"[" * 5000 + b"]" * 5000, "__all__"),
        (b'{"email": 5, "topics": ["newsletter"]}', "email"),
        (b'{"email": "a@example.com", "topics": "newsletter"}', "topics"),
        (b'{"email": "a@example.com", "topics": [true]}', "topics"),
        (b'{"email": "a@example.com", "topics": [{"id": 1}]}', "topics"),
        (b'{"email": "a@example.com", "first_name": "\\ud800", "topics": ["newsletter"]}', "first_name"),
        (b'{"email": "a@example.com", "first_name": "\\u0000", "topics": ["newsletter"]}', "first_name"),
    ],
)
def test_a_body_that_is_no_sign_up_is_a_400_naming_the_field(
    client: Client, seeded: None, body: bytes, field: str
) -> None:
    response = client.post("/api/signup", body, content_type=JSON)
    assert set(api_errors(response)) == {field}
    assert not Subscriber.objects.exists()


def test_the_page_and_the_api_share_one_submission_path(rf: RequestFactory, newsletter: Topic) -> None:
    # The page view keeps its behaviour: it goes through submit_signup too.
    request = rf.post("/signup/")
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update({"email": "shared@example.com", "language": "en"})
    data.setlist("topics", ["newsletter"])
    submission = submit_signup(request, data)
    assert submission.started and submission.refused is None
    run_worker()  # the worker takes the sign-up in
    assert ConsentRecord.objects.get().source == "/signup/"


# --- CORS: only the configured origins ---------------------------------------------------------


ALLOWED = "https://www.brand.example"


@pytest.fixture
def allowed_origin(settings: Settings) -> str:
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    return ALLOWED


def test_an_allowed_origin_may_read_the_answer(
    client: Client, newsletter: Topic, allowed_origin: str
) -> None:
    response = post_json(
        client, {"email": "c@example.com", "topics": ["newsletter"]}, HTTP_ORIGIN=allowed_origin
    )
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == allowed_origin
    assert "Access-Control-Allow-Credentials" not in response
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_another_origin_may_not(client: Client, newsletter: Topic, allowed_origin: str) -> None:
    response = post_json(
        client, {"email": "c@example.com", "topics": ["newsletter"]}, HTTP_ORIGIN="https://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in response


def test_by_default_no_origin_may(client: Client, newsletter: Topic) -> None:
    response = post_json(client, {"email": "c@example.com", "topics": ["newsletter"]}, HTTP_ORIGIN=ALLOWED)
    assert "Access-Control-Allow-Origin" not in response


def test_the_preflight_allows_a_json_post_from_an_allowed_origin(client: Client, allowed_origin: str) -> None:
    preflight: dict[str, Any] = {
        "HTTP_ORIGIN": allowed_origin,
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type, accept-language",
    }
    response = client.options("/api/signup", **preflight)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == allowed_origin
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert {"content-type", "accept-language"} <= set(response["Access-Control-Allow-Headers"].split(", "))

    refused = client.options("/api/signup", **{**preflight, "HTTP_ORIGIN": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused


def test_cors_covers_the_api_only(client: Client, seeded: None, allowed_origin: str) -> None:
    assert "Access-Control-Allow-Origin" not in client.get("/signup/", HTTP_ORIGIN=allowed_origin)
    assert (
        client.get("/api/openapi.json", HTTP_ORIGIN=allowed_origin)["Access-Control-Allow-Origin"] == ALLOWED
    )
