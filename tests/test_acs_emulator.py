"""The ACS emulator on its own, spoken to with plain `requests` (not the
client): the documented contract it serves, its gateway, and its knobs."""

import json
import threading
import time
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from signup_site.emulator.checks import emulator_only_in_debug
from tests.acs_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORGANIZATION,
    TRANSACTIONAL_API,
    Emulator,
    use_acs_emulator,
)
from tests.helpers import wait_until

T = (3.05, 10)


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


def get_token(emulator: Emulator) -> str:
    response = requests.post(
        f"{emulator.site}/emulator/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "openid,AdobeID,campaign_sdk",
        },
        timeout=T,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 86399
    token: str = body["access_token"]
    return token


class API:
    """Raw calls to the emulated ACS, as Adobe's Postman collection makes them."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = f"{emulator.acs}/{ORGANIZATION}/campaign"
        self.http = requests.Session()
        self.http.headers.update(
            {
                "Authorization": f"Bearer {get_token(emulator)}",
                "X-Api-Key": CLIENT_ID,
                "Cache-Control": "no-cache",
            }
        )

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if not url.startswith("http"):
            url = self.base + url
        return self.http.request(method, url, timeout=T, **kwargs)

    def create(self, email: str, **fields: Any) -> dict[str, Any]:
        response = self("POST", "/profileAndServices/profile", json={"email": email, **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def service(self, name: str) -> dict[str, Any]:
        found = self("GET", "/profileAndServices/service/byText", params={"text": name}).json()["content"]
        return next(service for service in found if service["name"] == name)


@pytest.fixture
def api(emulator: Emulator) -> API:
    return API(emulator)


def test_off_unless_enabled_and_debug(emulator: Emulator, settings: Any) -> None:
    settings.DEBUG = False
    assert requests.get(f"{emulator.acs}/_control/state", timeout=T).status_code == 404
    assert requests.post(f"{emulator.site}/emulator/ims/token/v3", timeout=T).status_code == 404


def test_ims_refuses_bad_credentials(emulator: Emulator) -> None:
    response = requests.post(
        f"{emulator.site}/emulator/ims/token/v3",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"},
        timeout=T,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "wrong" not in str(emulator.log("ims"))  # the secret is never logged


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 403, "403000"),
        ({"X-Api-Key": "someone-else"}, 403, "403003"),
        ({"X-Api-Key": CLIENT_ID}, 403, "403010"),
        ({"X-Api-Key": CLIENT_ID, "Authorization": "Bearer forged"}, 401, "401013"),
    ],
)
def test_gateway_checks_key_and_token(
    emulator: Emulator, headers: dict[str, str], status: int, code: str
) -> None:
    response = requests.get(
        f"{emulator.acs}/{ORGANIZATION}/campaign/profileAndServices/service", headers=headers, timeout=T
    )
    assert response.status_code == status
    assert response.json()["error_code"] == code


def test_expired_tokens_get_401013(emulator: Emulator, api: API) -> None:
    assert api("GET", "/profileAndServices/service").status_code == 200
    emulator.expire_tokens()
    response = api("GET", "/profileAndServices/service")
    assert (response.status_code, response.json()["error_code"]) == (401, "401013")


def test_profiles_crud_and_by_email_not_deduplicated(api: API) -> None:
    first = api.create("jane+news@example.com", firstName="Jane", preferredLanguage="en_us")
    assert first["PKey"].startswith("@")
    assert first["subscriptions"]["href"].endswith(f"/profile/{first['PKey']}/subscriptions/")
    assert (first["lastName"], first["blackListEmail"], first["location"]) == ("", False, None)
    second = api.create("jane+news@example.com")
    found = api(
        "GET", "/profileAndServices/profile/byEmail", params={"email": "jane+news@example.com"}
    ).json()
    assert [p["PKey"] for p in found["content"]] == [first["PKey"], second["PKey"]]

    patched = api("PATCH", first["href"], json={"lastName": "Doe", "blackListEmail": True})
    assert patched.status_code == 200
    assert patched.json() == {"PKey": first["PKey"], "href": first["href"]}
    again = api("GET", f"/profileAndServices/profile/{first['PKey']}").json()
    assert (again["lastName"], again["blackListEmail"]) == ("Doe", True)

    assert api("DELETE", first["href"]).status_code == 200
    assert api("GET", first["href"]).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"age": 40}, "Cannot update the 'age' property that is read-only"),
        ({"gender": "x"}, "The value 'x' is not valid for the 'nms:recipient:gender' enumeration"),
        (
            {"preferredLanguage": "klingon"},
            "is not valid for the 'nms:recipient:preferredLanguage' enumeration",
        ),
        ({"shoeSize": 44}, "Unable to parse expression 'shoeSize'"),
    ],
)
def test_validation_problems_are_500s_with_a_message(api: API, body: dict[str, Any], message: str) -> None:
    profile = api.create("val@example.com")
    response = api("PATCH", profile["href"], json=body)
    assert response.status_code == 500
    assert message in response.json()["message"]


def test_pagination_follows_next_with_line_count(emulator: Emulator, api: API) -> None:
    emulator.add_services(count=30, prefix="SVC")
    first = api("GET", "/profileAndServices/service").json()
    assert len(first["content"]) == 25  # the default page
    rest = api("GET", first["next"]["href"]).json()
    assert len(rest["content"]) == 7 and "next" not in rest
    pages, url = [], f"{api.base}/profileAndServices/service?_lineCount=10"
    while url:
        page = api("GET", url).json()
        pages.append(len(page["content"]))
        url = page.get("next", {}).get("href")
    assert pages == [10, 10, 10, 2]
    assert api("GET", first["count"]["href"]).json() == {"count": 32}


def test_both_subscribe_styles_and_subscription_delete(emulator: Emulator, api: API) -> None:
    profile = api.create("sub@example.com")
    newsletter, offers = api.service("NEWSLETTER"), api.service("SPECIAL_OFFERS")
    by_profile = api("POST", profile["subscriptions"]["href"], json={"service": {"PKey": newsletter["PKey"]}})
    assert by_profile.status_code == 201
    by_service = api("POST", offers["subscriptions"]["href"], json={"subscriber": {"PKey": profile["PKey"]}})
    assert by_service.status_code == 201
    # As "Performing subscriptions" shows it: no serviceName yet; the listing has it.
    assert by_service.json()["serviceName"] == ""
    assert by_service.json()["service"]["title"] == "Email Special Offers (SPECIAL_OFFERS)"
    listed = api("GET", profile["subscriptions"]["href"]).json()["content"]
    assert sorted(s["serviceName"] for s in listed) == ["NEWSLETTER", "SPECIAL_OFFERS"]
    duplicate = api("POST", profile["subscriptions"]["href"], json={"service": {"PKey": newsletter["PKey"]}})
    assert duplicate.status_code == 500

    assert api("DELETE", by_profile.json()["href"]).status_code == 204
    assert emulator.subscriptions("sub@example.com") == ["SPECIAL_OFFERS"]
    assert emulator.state()["deleted_services"] == []


def test_delete_on_a_service_url_deletes_the_service(emulator: Emulator, api: API) -> None:
    """Why the client never does it (one Adobe page shows it as an unsubscribe)."""
    assert api("DELETE", api.service("NEWSLETTER")["href"]).status_code == 200
    assert emulator.state()["deleted_services"] == ["NEWSLETTER"]


def test_events_live_under_the_tenant_not_the_organization(emulator: Emulator, api: API) -> None:
    assert TRANSACTIONAL_API not in {ORGANIZATION, f"mc{ORGANIZATION}"}
    body = {"email": "ev@example.com", "ctx": {"firstName": "Eve", "couponCode": "GIFT-1"}}
    assert api("POST", f"/mc{ORGANIZATION}/EVTwelcome", json=body).status_code == 404
    assert api("POST", "/mcacme/EVTwelcome", json=body).status_code == 404
    sent = api("POST", f"/{TRANSACTIONAL_API}/EVTwelcome", json=body)
    assert sent.status_code == 201
    assert sent.json()["status"] == "pending"
    # Relative, as "Transactional messages" shows it: mcAdobe/EVTcartAbandonment/<PKEY>.
    href = sent.json()["href"]
    assert href == f"{TRANSACTIONAL_API}/EVTwelcome/{sent.json()['PKey']}"
    status_url = urljoin(api.base + "/", href)
    # GET as Adobe's page says, POST as Adobe's SDK sends (its spec/api.json).
    statuses = [api(method, status_url).json()["status"] for method in ("GET", "POST", "GET")]
    assert statuses == ["processing", "processed", "processed"]
    assert emulator.events()[0]["ctx"] == body["ctx"]


def test_an_event_without_charset_loses_its_special_characters(emulator: Emulator, api: API) -> None:
    """Adobe: "You must add a charset"; without one, special characters in the
    context show wrongly in the message (read here as ISO-8859-1)."""
    raw = json.dumps({"email": "ev@example.com", "ctx": {"firstName": "Zoë"}}, ensure_ascii=False).encode()
    url = f"/{TRANSACTIONAL_API}/EVTwelcome"
    for content_type in ("application/json", "application/json;charset=utf-8"):
        response = api("POST", url, data=raw, headers={"Content-Type": content_type})
        assert response.status_code == 201
    assert [event["ctx"]["firstName"] for event in emulator.events()] == ["ZoÃ«", "Zoë"]
    assert [entry["content_type"] for entry in emulator.log("acs")] == [
        "application/json",
        "application/json;charset=utf-8",
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        # Adobe's SDK: its OpenAPI paths end in an empty {FILTERS}.
        ("POST", "/profileAndServices/profile/"),
        ("GET", "/profileAndServices/profile/"),
        ("GET", "/profileAndServices/service/"),
        ("GET", "/profileAndServices/profile/byEmail/"),
    ],
)
def test_resources_answer_with_a_trailing_slash_too(api: API, method: str, path: str) -> None:
    body = {"email": "slash@example.com"} if method == "POST" else None
    assert api(method, path, json=body).status_code == (201 if method == "POST" else 200)


def test_subscribe_without_the_trailing_slash_of_the_href(emulator: Emulator, api: API) -> None:
    """ "Performing subscriptions" POSTs to `.../subscriptions`; the href ends in `/`."""
    profile = api.create("noslash@example.com")
    link = profile["subscriptions"]["href"].removesuffix("/")
    response = api("POST", link, json={"service": {"PKey": api.service("NEWSLETTER")["PKey"]}})
    assert response.status_code == 201
    assert emulator.subscriptions("noslash@example.com") == ["NEWSLETTER"]


def test_throttle_answers_429_with_retry_after(emulator: Emulator, api: API) -> None:
    emulator.throttle(times=2, retry_after=7)
    for _ in range(2):
        response = api("GET", "/profileAndServices/service")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["error_code"] == "429050"
    assert api("GET", "/profileAndServices/service").status_code == 200


def test_faults_match_method_and_path_and_run_out(emulator: Emulator, api: API) -> None:
    emulator.fault(
        method="POST", path="/profile", status=500, body="XTK-170036 nope", content_type="text/plain"
    )
    assert api("GET", "/profileAndServices/profile").status_code == 200
    response = api("POST", "/profileAndServices/profile", json={"email": "f@example.com"})
    assert (response.status_code, response.text) == (500, "XTK-170036 nope")
    assert api("POST", "/profileAndServices/profile", json={"email": "f@example.com"}).status_code == 201


def test_request_log_records_what_reached_campaign(emulator: Emulator, api: API) -> None:
    api.create("log@example.com")
    entries = emulator.log()
    assert [(e["service"], e["method"], e["status"]) for e in entries] == [
        ("ims", "POST", 200),
        ("acs", "POST", 201),
    ]
    assert entries[1]["body"] == {"email": "log@example.com"}
    assert entries[1]["api_key"] == CLIENT_ID and entries[1]["bearer"] is True


def test_error_rate_answers_503s(emulator: Emulator, api: API) -> None:
    emulator.knobs(error_rate=1.0)
    response = api("GET", "/profileAndServices/service")
    assert (response.status_code, response.json()["error_code"]) == (503, "503000")
    emulator.knobs(error_rate=0)
    assert api("GET", "/profileAndServices/service").status_code == 200


def test_latency_knob_delays_answers(emulator: Emulator, api: API) -> None:
    emulator.knobs(latency=0.4)
    started = time.monotonic()
    assert api("GET", "/profileAndServices/service").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_reset_cuts_a_slow_call_short_and_it_changes_nothing(emulator: Emulator, api: API) -> None:
    """A call still waiting out the latency knob when the state is reset (by
    the next test) must not land in the new state afterwards."""
    emulator.knobs(latency=5)
    answers: list[requests.Response] = []
    slow = threading.Thread(
        target=lambda: answers.append(
            api("POST", "/profileAndServices/profile", json={"email": "late@example.com"})
        ),
        daemon=True,
    )
    slow.start()
    wait_until(lambda: emulator.paused() == 1, "the POST to be waiting out its latency")
    emulator.reset()
    slow.join(timeout=10)
    assert not slow.is_alive()
    # Cut short: had it waited out the 5 s, it would have created the profile (a 201).
    assert answers[0].status_code == 503
    assert emulator.profiles() == []


def test_unknown_organization_is_adobe_ios_500(emulator: Emulator, api: API) -> None:
    """ "API troubleshooting": Adobe I/O's answer to an organization it does not route."""
    response = api("GET", api.base.replace(ORGANIZATION, "other-mkt-prod1") + "/profileAndServices/service")
    assert response.status_code == 500
    assert response.json() == {
        "code": 500,
        "message": "Oops. Something went wrong. Check your URI and try again.",
    }
    assert api("GET", f"{emulator.acs}/profileAndServices/service").status_code == 500  # no organization
    assert [entry["status"] for entry in emulator.log("acs")] == [500, 500]


def test_an_unknown_resource_is_a_404_and_is_logged(emulator: Emulator, api: API) -> None:
    response = api("GET", "/profileAndServices/nothing/here")
    assert (response.status_code, response.json()["code"]) == (404, 404)
    assert [(e["path"], e["status"]) for e in emulator.log("acs")] == [
        (f"/{ORGANIZATION}/campaign/profileAndServices/nothing/here", 404)
    ]


def test_system_check_refuses_the_emulator_without_debug(settings: Any) -> None:
    settings.EMULATOR_ENABLED, settings.DEBUG = True, False
    assert [error.id for error in emulator_only_in_debug(None)] == ["emulator.E001"]
    settings.DEBUG = True
    assert emulator_only_in_debug(None) == []
