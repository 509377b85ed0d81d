"""The sign-up API's OpenAPI document: valid OpenAPI 3.1, served, and true of
the running endpoint, which schemathesis fuzzes against it."""

from typing import Any

import jsonschema
import pytest
import schemathesis
from django.http import HttpResponse
from django.test import Client
from hypothesis import given, settings
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pytest_django.live_server_helper import LiveServer
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signup_site.campaign.models import PendingSignup
from signup_site.web.api import refused_as_json
from signup_site.web.openapi import document
from tests.helpers import take_in_requests

pytestmark = pytest.mark.django_db


def test_the_document_is_served_and_valid_openapi_3_1(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    served = response.json()
    assert served["openapi"] == "3.1.0"
    assert served["servers"] == [{"url": "http://testserver"}]
    validate(served)  # openapi-spec-validator, by the version the document names


def test_the_validator_catches_a_broken_document() -> None:
    # A validator that passes everything proves nothing.
    broken = document("http://testserver", ["newsletter"])
    del broken["paths"]["/api/signup"]["post"]["responses"]["202"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_both_encodings_and_every_error_are_described() -> None:
    operation = document("http://testserver", ["newsletter"])["paths"]["/api/signup"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert {"202", "303", "400", "405", "413", "415", "429"} <= set(operation["responses"])
    assert (
        "altcha"
        in document("http://testserver", ["newsletter"])["components"]["schemas"]["SignupJson"]["properties"]
    )


def conforms(body: Any, schema_name: str) -> None:
    doc = document("http://testserver", ["newsletter"])
    jsonschema.validate(body, {**doc, "$ref": f"#/components/schemas/{schema_name}"})


@pytest.mark.parametrize(("retry_after", "expected"), [("120", 120), ("soon", 60), (None, 60)])
def test_a_refusal_by_the_abuse_checks_is_answered_as_the_document_says(
    retry_after: str | None, expected: int
) -> None:
    # What limits.check returns to the page (its 429 page), as the API answers it.
    page = HttpResponse("<p>Too many</p>", status=429)
    if retry_after is not None:
        page["Retry-After"] = retry_after
    response = refused_as_json(page)
    assert (response.status_code, response["Retry-After"]) == (429, str(expected))
    conforms(json_of(response), "RateLimited")
    assert json_of(response)["retry_after"] == expected


def json_of(response: HttpResponse) -> Any:
    import json

    return json.loads(response.content)


# --- fuzzing the running endpoint ------------------------------------------------------------

# Answers must be no 5xx, and only what the document describes: status codes,
# content types, bodies and headers. (Whether a schema-valid body is accepted
# is not asked: the document cannot spell every rule of an email address.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_the_endpoint_finds_no_500_and_nothing_the_document_does_not_say(
    live_server: LiveServer, seeded: None, mode: GenerationMode
) -> None:
    # The document as the running site serves it, the requests sent to it over HTTP.
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    operation = schema["/api/signup"]["POST"]

    # Derandomised and bounded: the same 75 examples on every run, valid ones
    # and ones the document forbids, each encoding drawn by schemathesis.
    statuses: set[int] = set()

    @settings(max_examples=75, derandomize=True, database=None, deadline=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Case) -> None:
        statuses.add(case.call_and_validate(base_url=live_server.url, checks=CHECKS).status_code)

    send()
    # Worth something only if it reached both the journey and the checks.
    assert 400 in statuses
    if mode is GenerationMode.POSITIVE:
        assert 202 in statuses
        take_in_requests()  # the worker takes the sign-ups in
        assert PendingSignup.objects.exists()
