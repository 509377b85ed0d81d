"""The `acs` backend over real HTTP against the ACS emulator: the IMS token,
the headers, profiles, services and subscriptions through links, events under
the transactional tenant, and every error path mapped onto the hierarchy."""

import logging
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.acs import ACSBackend
from signup_site.campaign.backends.base import Message, ProfileFields
from signup_site.campaign.config import acs_config, default_transactional_api, parse_events
from signup_site.campaign.errors import (
    CampaignAuthError,
    CampaignRejected,
    CampaignUnavailable,
    ProfileNotFound,
)
from tests.acs_support import CLIENT_ID, ORGANIZATION, TRANSACTIONAL_API, Emulator, use_acs_emulator
from tests.helpers import sessions_made, wait_until
from tests.redirects import redirecting_server


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


@pytest.fixture
def acs(emulator: Emulator) -> ACSBackend:
    backend = get_backend()
    assert isinstance(backend, ACSBackend)
    return backend


def new_profile(acs: ACSBackend, email: str = "jane@example.com", **fields: Any) -> str:
    return acs.create_profile(ProfileFields(email=email, **fields)).pkey


def wait_for_calls(emulator: Emulator, count: int) -> None:
    """Let the requests the client gave up on finish, so they land in this
    test's log (not the next test's): `count` calls answered, none still
    waiting out a latency or a delay."""
    wait_until(
        lambda: len(emulator.log("acs")) >= count and emulator.paused() == 0,
        f"{count} calls to reach the emulator and be answered",
    )


# --- the IMS token --------------------------------------------------------------


def test_one_token_fetch_for_many_calls_across_threads(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = new_profile(acs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        profiles = list(pool.map(lambda _: acs.get_profile(pkey), range(24)))
    acs.list_services()
    assert {profile.pkey for profile in profiles} == {pkey}
    assert emulator.tokens_issued() == 1
    assert [entry["service"] for entry in emulator.log()].count("ims") == 1


def test_every_call_carries_bearer_api_key_and_no_cache(emulator: Emulator, acs: ACSBackend) -> None:
    acs.subscribe(new_profile(acs), "NEWSLETTER")
    entries = emulator.log("acs")
    assert len(entries) >= 4
    for entry in entries:
        assert (entry["bearer"], entry["api_key"], entry["cache_control"]) == (True, CLIENT_ID, "no-cache")
        assert entry["user_agent"].startswith("signup_site/")
    token_request = emulator.log("ims")[0]
    assert token_request["body"]["grant_type"] == "client_credentials"
    assert "campaign_sdk" in token_request["body"]["scope"].split(",")


def test_an_expired_token_is_renewed_once_and_the_call_retried(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = new_profile(acs)
    emulator.expire_tokens()
    assert acs.get_profile(pkey).email == "jane@example.com"
    assert emulator.tokens_issued() == 2
    assert [(e["service"], e["method"], e["status"]) for e in emulator.log()][-4:] == [
        ("acs", "POST", 201),
        ("acs", "GET", 401),
        ("ims", "POST", 200),
        ("acs", "GET", 200),
    ]


def test_the_token_is_renewed_before_it_expires(emulator: Emulator, acs: ACSBackend) -> None:
    now = [1000.0]
    acs.client.tokens._clock = lambda: now[0]
    pkey = new_profile(acs)
    now[0] += 86399 - 400  # still valid, more than five minutes left
    acs.get_profile(pkey)
    assert emulator.tokens_issued() == 1
    now[0] += 200  # within the last five minutes: renewed before use
    acs.get_profile(pkey)
    assert emulator.tokens_issued() == 2
    assert all(entry["status"] != 401 for entry in emulator.log("acs"))


def test_one_session_carries_the_token_request_and_the_api_calls(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = sessions_made(monkeypatch)
    acs = ACSBackend()
    pkey = new_profile(acs)
    emulator.expire_tokens()
    acs.get_profile(pkey)
    assert emulator.tokens_issued() == 2
    assert sessions == [acs.client.session]
    # The token requests share the session, not the API's signature.
    for token_request in emulator.log("ims"):
        assert (token_request["bearer"], token_request["api_key"]) == (False, "")
        assert token_request["user_agent"].startswith("signup_site/")


def test_a_token_refused_after_renewal_is_an_auth_error(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = new_profile(acs)
    emulator.clear_log()
    emulator.fault(status=401, body={"error_code": "401013", "message": "Oauth token is not valid"}, times=5)
    with pytest.raises(CampaignAuthError):
        acs.get_profile(pkey)
    assert emulator.tokens_issued() == 2  # one renewal, not five
    assert len(emulator.log("acs")) == 2  # the call, and its one retry


def test_a_bad_api_key_is_an_auth_error_without_renewal(emulator: Emulator, acs: ACSBackend) -> None:
    emulator.fault(status=403, body={"error_code": "403003", "message": "Api Key is invalid"})
    with pytest.raises(CampaignAuthError):
        acs.list_services()
    assert emulator.tokens_issued() == 1


def test_bad_credentials_are_an_auth_error(emulator: Emulator, settings: Any) -> None:
    settings.ACS_CLIENT_SECRET = "not-the-secret"
    reset_backends()
    with pytest.raises(CampaignAuthError):
        get_backend().list_services()
    assert emulator.log("acs") == []


def test_missing_configuration_is_an_auth_error(settings: Any) -> None:
    settings.ACS_ORGANIZATION = ""
    with pytest.raises(CampaignAuthError, match="ACS_ORGANIZATION"):
        ACSBackend()


# --- errors ----------------------------------------------------------------------


def test_429_is_unavailable_with_retry_after_and_never_retried_here(
    emulator: Emulator, acs: ACSBackend
) -> None:
    pkey = new_profile(acs)
    emulator.clear_log()
    emulator.throttle(times=50, retry_after=120)
    raised: list[CampaignUnavailable] = []

    def update() -> None:
        try:
            acs.update_profile(pkey, ProfileFields(first_name="Janet"))
        except CampaignUnavailable as exc:
            raised.append(exc)

    caller = threading.Thread(target=update, daemon=True)
    caller.start()
    caller.join(timeout=30)
    # No sleeping on it either: a client waiting out the 120 s would still be inside.
    assert not caller.is_alive(), "the client is waiting out Retry-After instead of raising"
    assert [error.retry_after for error in raised] == [120]
    assert [entry["status"] for entry in emulator.log("acs")] == [429]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_and_server_outages_are_unavailable(emulator: Emulator, acs: ACSBackend, status: int) -> None:
    emulator.fault(status=status, body={"error_code": "503000", "message": "Service Unavailable"})
    with pytest.raises(CampaignUnavailable):
        acs.list_services()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"code": 500, "message": "Cannot update the 'age' property that is read-only"}, "application/json"),
        ("The value 'x' is not valid for the 'nms:recipient:gender' enumeration", "application/json"),
        ("RST-360011 An error has occurred. XTK-170036 Unable to parse expression 'shoeSize'.", "text/plain"),
    ],
    ids=["json-object", "json-string", "plain-text"],
)
def test_validation_500s_are_rejected(
    emulator: Emulator, acs: ACSBackend, body: Any, content_type: str
) -> None:
    pkey = new_profile(acs)
    emulator.fault(method="PATCH", status=500, body=body, content_type=content_type)
    with pytest.raises(CampaignRejected):
        acs.update_profile(pkey, ProfileFields(last_name="Doe"))


def test_a_real_validation_refusal_from_the_emulator_is_rejected(emulator: Emulator, acs: ACSBackend) -> None:
    with pytest.raises(CampaignRejected, match="too long"):
        acs.client.request(
            "POST", acs.client.url("/profileAndServices/profile"), action="test", json={"email": "x" * 300}
        )


def test_a_500_without_a_validation_message_is_unavailable(emulator: Emulator, acs: ACSBackend) -> None:
    emulator.fault(status=500, body="RST-360011 An error has occurred - please repeat the operation later.")
    with pytest.raises(CampaignUnavailable):
        acs.list_services()


def test_a_slow_answer_times_out_as_unavailable(emulator: Emulator, acs: ACSBackend, settings: Any) -> None:
    pkey = new_profile(acs)
    settings.ACS_READ_TIMEOUT_SECONDS = 0.3
    reset_backends()
    slow = get_backend()
    emulator.knobs(latency=1.0)  # longer than the 0.3 s read timeout, shorter than the default 5 s
    with pytest.raises(CampaignUnavailable, match="ReadTimeout"):
        slow.get_profile(pkey)
    wait_for_calls(emulator, 2)
    # It gave up once, without trying again: one GET reached Campaign.
    assert emulator.calls() == ["POST profile", "GET profile/{PKey}"]


def test_a_slow_write_times_out_as_unavailable(emulator: Emulator, acs: ACSBackend, settings: Any) -> None:
    settings.ACS_TIMEOUT_SECONDS = 0.3
    reset_backends()
    emulator.fault(method="POST", path="/profile", status=201, body={"PKey": "@late"}, delay=1.0)
    with pytest.raises(CampaignUnavailable):
        get_backend().create_profile(ProfileFields(email="slow@example.com"))
    wait_for_calls(emulator, 1)


def test_connection_refused_is_unavailable(emulator: Emulator, settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ACS_API_URL = f"http://127.0.0.1:{port}"
    reset_backends()
    with pytest.raises(CampaignUnavailable, match="ConnectionError"):
        get_backend().list_services()


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_not_followed(emulator: Emulator, settings: Any, status: int) -> None:
    with redirecting_server(status) as redirector:
        settings.ACS_API_URL = redirector.url
        reset_backends()
        # Not CampaignRejected: the change is kept and retried once ACS_API_URL is fixed.
        with pytest.raises(CampaignAuthError, match="redirect"):
            get_backend().list_services()
    assert redirector.requests == [("GET", f"/{ORGANIZATION}/campaign/profileAndServices/service")]
    assert not redirector.followed()


def test_unknown_pkeys_are_profile_not_found(acs: ACSBackend) -> None:
    with pytest.raises(ProfileNotFound):
        acs.get_profile("@gone")
    with pytest.raises(ProfileNotFound):
        acs.update_profile("@gone", ProfileFields(first_name="X"))
    with pytest.raises(ProfileNotFound):
        acs.subscribe("@gone", "NEWSLETTER")


def test_a_link_to_another_host_is_not_followed(acs: ACSBackend) -> None:
    with pytest.raises(CampaignRejected):
        acs.client.href("https://attacker.example/steal-the-token")


# --- profiles --------------------------------------------------------------------


def test_find_profile_url_encodes_and_picks_the_oldest(emulator: Emulator, acs: ACSBackend) -> None:
    first = new_profile(acs, "a+b@example.com", first_name="First")
    new_profile(acs, "a+b@example.com", first_name="Second")
    found = acs.find_profile("a+b@example.com")
    assert found is not None and found.pkey == first
    assert emulator.log("acs")[-1]["query"] == {"email": ["a+b@example.com"]}
    assert acs.find_profile("nobody@example.com") is None


def test_profiles_map_fields_and_patch_changed_fields_only(emulator: Emulator, acs: ACSBackend) -> None:
    created = acs.create_profile(ProfileFields(email="ana@example.com", first_name="Ana", language="es"))
    assert (created.first_name, created.language, created.blacklist_email) == ("Ana", "es", False)
    assert emulator.log("acs")[-1]["body"] == {
        "email": "ana@example.com",
        "firstName": "Ana",
        "preferredLanguage": "es_es",
    }
    acs.update_profile(created.pkey, ProfileFields(last_name="López", blacklist_email=True))
    assert emulator.log("acs")[-1]["method"] == "PATCH"
    assert emulator.log("acs")[-1]["body"] == {"lastName": "López", "blackListEmail": True}
    profile = acs.get_profile(created.pkey)
    assert (profile.last_name, profile.blacklist_email, profile.first_name) == ("López", True, "Ana")


# --- services and subscriptions ------------------------------------------------------


def test_services_are_looked_up_once_by_exact_name(emulator: Emulator, acs: ACSBackend) -> None:
    emulator.add_services(name="PRE_ALERTS", label="Pre-alerts")
    emulator.add_services(name="ALERTS", label="Alerts")
    first, second = new_profile(acs, "one@example.com"), new_profile(acs, "two@example.com")
    acs.subscribe(first, "ALERTS")
    acs.subscribe(second, "ALERTS")
    acs.unsubscribe(first, "ALERTS")
    assert emulator.calls().count("GET service/byText") == 1
    assert emulator.subscriptions("two@example.com") == ["ALERTS"]
    with pytest.raises(CampaignRejected):
        acs.subscribe(first, "NO_SUCH_SERVICE")


def test_list_services_follows_next(emulator: Emulator, acs: ACSBackend) -> None:
    emulator.add_services(count=30, prefix="SVC")
    names = [service.name for service in acs.list_services()]
    assert len(names) == 32 and {"NEWSLETTER", "SPECIAL_OFFERS", "SVC30"} <= set(names)
    assert emulator.calls() == ["GET service", "GET service"]


def test_subscribe_and_unsubscribe_are_idempotent_and_use_links(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = new_profile(acs)
    acs.subscribe(pkey, "NEWSLETTER")
    acs.subscribe(pkey, "NEWSLETTER")
    assert acs.subscriptions(pkey) == {"NEWSLETTER"}
    acs.unsubscribe(pkey, "NEWSLETTER")
    acs.unsubscribe(pkey, "NEWSLETTER")
    assert acs.subscriptions(pkey) == frozenset()
    calls = emulator.calls()
    assert calls.count("POST profile/{PKey}/subscriptions/") == 1
    assert calls.count("DELETE service/{PKey}/subscriptions/{PKey}") == 1  # the subscription's own href
    assert "DELETE service/{PKey}" not in calls
    assert emulator.state()["deleted_services"] == []
    assert emulator.log("acs")[calls.index("POST profile/{PKey}/subscriptions/")]["body"] == {
        "service": {
            "PKey": next(s["PKey"] for s in emulator.state()["services"] if s["name"] == "NEWSLETTER")
        }
    }


def test_subscribe_survives_a_duplicate_from_a_race(emulator: Emulator, acs: ACSBackend) -> None:
    pkey = new_profile(acs)
    acs.subscribe(pkey, "NEWSLETTER")
    # The check reads "not subscribed" (another worker is about to), the POST is a duplicate.
    emulator.fault(method="GET", path="/subscriptions/", status=200, body={"content": []})
    acs.subscribe(pkey, "NEWSLETTER")
    assert emulator.subscriptions("jane@example.com") == ["NEWSLETTER"]
    assert [e["status"] for e in emulator.log("acs") if e["method"] == "POST"][-1] == 500


def test_subscriptions_follow_next(emulator: Emulator, acs: ACSBackend) -> None:
    names = emulator.add_services(count=26, prefix="TOPIC")
    pkey = new_profile(acs)
    for name in names:
        acs.subscribe(pkey, name)
    emulator.clear_log()
    assert acs.subscriptions(pkey) == set(names)
    assert emulator.calls() == ["GET profile/{PKey}/subscriptions/"] * 2


# --- transactional events ----------------------------------------------------------------


def test_events_go_to_the_transactional_tenant(emulator: Emulator, acs: ACSBackend) -> None:
    context = {"firstName": "Jane", "couponCode": "GIFT-X", "preferencesUrl": "u1", "unsubscribeUrl": "u2"}
    acs.send_message(Message(name="special-offer", email="jane@example.com", context=context))
    acs.send_message(Message(name="welcome", email="ana@example.com", language="es"))
    entries = emulator.log("acs")
    assert [entry["path"] for entry in entries] == [
        f"/{ORGANIZATION}/campaign/{TRANSACTIONAL_API}/EVTspecialOffer",
        f"/{ORGANIZATION}/campaign/{TRANSACTIONAL_API}/EVTwelcomeEs",
    ]
    assert entries[0]["body"] == {"email": "jane@example.com", "ctx": context}
    assert [event["eventId"] for event in emulator.events()] == ["EVTspecialOffer", "EVTwelcomeEs"]


def test_a_message_without_an_event_id_is_rejected_unsent(emulator: Emulator, acs: ACSBackend) -> None:
    with pytest.raises(CampaignRejected, match="ACS_EVENTS"):
        acs.send_message(Message(name="no-such-message", email="jane@example.com"))
    assert emulator.log("acs") == []


def test_the_default_tenant_is_derived_and_differs_from_the_organization(
    emulator: Emulator, settings: Any
) -> None:
    assert default_transactional_api("acme-mkt-stage1") == "mcacme"
    assert default_transactional_api("acme") == "mcacme"
    settings.ACS_TRANSACTIONAL_API = ""
    assert acs_config().transactional_api == "mcacme"
    # The emulator's tenant is not the derived one: events there are a 404.
    reset_backends()
    with pytest.raises(CampaignRejected, match="404"):
        get_backend().send_message(Message(name="welcome", email="jane@example.com"))


def test_malformed_event_settings_fail_loudly() -> None:
    assert parse_events(" welcome = EVTa ,\nspecial-offer=EVTb") == {
        "welcome": "EVTa",
        "special-offer": "EVTb",
    }
    with pytest.raises(CampaignAuthError):
        parse_events("welcome")
    with pytest.raises(CampaignAuthError):
        parse_events("welcome=a-template-name")


# --- logs ----------------------------------------------------------------------------------


def test_logs_carry_no_personal_data(
    emulator: Emulator, acs: ACSBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="signup_site")
    pkey = new_profile(acs, "private.person@example.com", first_name="Privatename")
    acs.find_profile("private.person@example.com")
    acs.subscribe(pkey, "NEWSLETTER")
    acs.send_message(Message(name="welcome", email="private.person@example.com", context={"firstName": "X"}))
    emulator.fault(status=500, body="Cannot update 'private.person@example.com' read-only " + pkey)
    with pytest.raises(CampaignRejected) as raised:
        acs.update_profile(pkey, ProfileFields(first_name="Privatename"))
    emulator.expire_tokens()
    with pytest.raises(ProfileNotFound):
        acs.get_profile(pkey + "x")
    # The site's own logs (the emulator's server logs stand for Campaign's).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("signup_site.campaign"))
    assert "ACS" in logged
    for secret in ("private.person", "Privatename", pkey, "example.com"):
        assert secret not in logged
        assert secret not in str(raised.value)


@pytest.mark.parametrize(
    "body", ["a" * 1_000_000, ("word " * 1000) + "jane.doe@example.com" + "b" * 1_000_000]
)
def test_a_huge_error_page_is_scrubbed_in_bounded_work_and_keeps_no_address(
    body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error body is scrubbed of addresses before it reaches the admin. The
    scrubbing regexes are quadratic on a long run without spaces (40 KB took
    2.5 s; a 1 MiB page, half an hour of a worker's CPU), so they may only
    ever see a bounded prefix: only the first 500 characters are kept."""
    from signup_site.campaign.backends.acs import client

    seen: list[int] = []

    class Spy:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def sub(self, replacement: str, text: str) -> str:
            seen.append(len(text))
            # Too long to scrub in reasonable time: don't try; the assertion below fails.
            return text if len(text) > 100_000 else self.pattern.sub(replacement, text)

    monkeypatch.setattr(client, "EMAIL", Spy(client.EMAIL))
    monkeypatch.setattr(client, "PKEY", Spy(client.PKEY))
    response = requests.Response()
    response.status_code = 500
    response._content = body.encode()
    response.encoding = "utf-8"  # as a proxy's HTML error page declares it
    code, message = client.read_error(response)
    assert seen and max(seen) <= client.SCRUBBED_PREFIX
    assert code == "" and len(message) <= 500
    assert "jane.doe" not in message and "@" not in message
