"""The check of requests against the OpenAPI document of Adobe's SDK
(tests/acs_openapi.py), on journal entries written by hand: it lets through
what the document (or a listed exception) allows, and catches what it
does not. Without this, a check that passed everything would look the same
as one that holds."""

import os
from typing import Any

import pytest

from tests.acs_openapi import SPEC_PATH, load_spec, problems_with

ORG = "acme-mkt-stage1"
PKEY = "@AbCdEf0123456789"


@pytest.fixture(autouse=True)
def _spec_installed() -> None:
    if not SPEC_PATH.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SPEC_PATH} is missing: CI installs it (make node_modules/.installed)")
        pytest.skip(f"{SPEC_PATH.name} of Adobe's SDK is not installed: run `make node_modules/.installed`")


def entry(method: str, path: str, **fields: Any) -> dict[str, Any]:
    made: dict[str, Any] = {
        "method": method,
        "path": f"/{ORG}/campaign{path}",
        "query": {},
        "body": None,
        "content_type": "",
        "api_key": "key",
        "bearer": True,
    }
    return made | fields


@pytest.mark.parametrize(
    "request_",
    [
        entry("POST", "/profileAndServices/profile", body={"email": "a@example.com"}),
        entry("POST", "/profileAndServices/profile/", body={"email": "a@example.com"}),
        entry("GET", f"/profileAndServices/profile/{PKEY}"),
        entry("PATCH", f"/profileAndServices/profile/{PKEY}", body={"firstName": "A"}),
        entry("GET", "/profileAndServices/profile/byEmail", query={"email": ["a@example.com"]}),
        entry("GET", "/profileAndServices/service", query={"_lineCount": ["10"], "_lineStart": [PKEY]}),
        entry("GET", "/profileAndServices/service/byText", query={"text": ["NEWSLETTER"]}),
        entry("GET", f"/profileAndServices/service/{PKEY}"),
        entry("GET", "/profileAndServicesExt/profile/byCRMId", query={"crmId": ["42"]}),
        entry("POST", "/mcacme/EVTwelcome", body={"email": "a@example.com", "ctx": {}}),
        entry("POST", f"/mcacme/EVTwelcome/{PKEY}"),
        # Exceptions: links the API returns.
        entry("GET", f"/profileAndServices/profile/{PKEY}/subscriptions/"),
        entry(
            "GET",
            f"/profileAndServices/profile/{PKEY}/subscriptions/",
            query={"_lineCount": ["25"], "_lineStart": [PKEY]},
        ),
        entry("POST", f"/profileAndServices/profile/{PKEY}/subscriptions/", body={"service": {"PKey": PKEY}}),
        entry("DELETE", f"/profileAndServices/service/{PKEY}/subscriptions/{PKEY}"),
        # A declared body, of the declared media type and shape.
        entry(
            "POST",
            "/privacy/privacyTool",
            body={"name": "r1", "type": "access"},
            content_type="application/json;charset=utf-8",
        ),
    ],
    ids=lambda request_: f"{request_['method']} {request_['path'].split('/campaign', 1)[1]}",
)
def test_what_the_document_allows_passes(request_: dict[str, Any]) -> None:
    assert problems_with(request_, ORG) == []


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (entry("GET", "/profileAndServices/nothing/at/all"), "no such path"),
        (entry("GET", "/anything"), "no such path"),  # not the /{RELATIVE_URL} catch-all
        (entry("DELETE", f"/profileAndServices/service/{PKEY}"), "DELETE is not declared"),
        (entry("DELETE", f"/profileAndServices/profile/{PKEY}"), "DELETE is not declared"),
        (entry("GET", "/profileAndServices/service", query={"_lineCount": ["ten"]}), "_lineCount"),
        (entry("POST", "/mcacme/EVTwelcome", query={"x": ["1"]}, body={}), "not declared"),
        (entry("GET", "/profileAndServices/service", api_key=""), "X-Api-Key"),
        (entry("GET", "/profileAndServices/service", bearer=False), "bearer"),
        (entry("GET", "/profileAndServices/service") | {"path": "/other-org/campaign/x"}, "not under"),
        (entry("POST", "/profileAndServices/profile", body="email=a"), "not a JSON object"),
        (
            entry("POST", f"/profileAndServices/profile/{PKEY}/subscriptions/", body={"subscriber": {}}),
            "'service' is a required property",
        ),
        (
            entry("GET", f"/profileAndServices/profile/{PKEY}/subscriptions/", query={"x": ["1"]}),
            "on a link the API returned",
        ),
        (
            entry("POST", "/privacy/privacyTool", body={"name": "r1"}, content_type="text/plain"),
            "Content-Type text/plain",
        ),
        (
            entry("POST", "/privacy/privacyTool", body={"type": "erase"}, content_type="application/json"),
            "'erase' is not one of",
        ),
        (entry("POST", "/privacy/privacyTool", content_type="application/json"), "a body is required"),
    ],
)
def test_what_the_document_does_not_allow_is_caught(request_: dict[str, Any], why: str) -> None:
    problems = problems_with(request_, ORG)
    assert any(why in problem for problem in problems), problems


def test_the_document_is_adobes_openapi_3_with_its_optional_path_segments() -> None:
    """What the check's readings rest on (see tests/acs_openapi.py)."""
    spec = load_spec()
    by_operation = {route.operation_id: route for route in spec.routes}
    assert by_operation["getTransactionalEvent"].method == "POST"  # Adobe's pages: GET
    assert by_operation["createProfile"].request_body is None  # no body declared, yet the SDK sends one
    assert by_operation["getAllProfiles"].pattern.fullmatch("/profileAndServices/profile")
    assert "getDataFromRelativeUrl" not in by_operation
