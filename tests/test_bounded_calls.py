"""Every Campaign call keeps to one deadline and reads a bounded reply, over
real HTTP against a server that misbehaves on purpose (tests/slow_server.py):
a reply trickling in a byte at a time (status line and headers too), with a
Content-Length, chunked or ended by closing; a 401 whose resend trickles; an
IMS token that trickles; and bodies far larger than the cap.

A bound on the call's own duration is what these tests are about ("gives up
in time"), so they measure it, with margins wide enough not to be flaky: a
limit of 1 s, asserted under 3 s, where the trickle would take 30 s.
"""

import json
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.acs import ACSBackend
from signup_site.campaign.backends.http import new_session
from signup_site.campaign.backends.ims import IMSTokenClient
from signup_site.campaign.errors import CampaignUnavailable
from signup_site.campaign.models import Topic
from tests.helpers import confirm_latest, link_in, sign_up, wait_until
from tests.slow_server import Reply, SlowServer, slow_server

MiB = 1024 * 1024
# 120 bytes at a quarter of a second each: 30 s, each byte well within any read timeout.
TRICKLE = 0.25
SLOW_BODY = json.dumps({"PKey": "@trickled", "email": "x@example.com", "pad": "x" * 60}).encode()
TRICKLES = {
    "content-length": Reply(body=SLOW_BODY, trickle=TRICKLE),
    "chunked": Reply(body=SLOW_BODY, trickle=TRICKLE, framing="chunked"),
    "until-close": Reply(body=SLOW_BODY, trickle=TRICKLE, framing="close"),
    "status-line-and-headers": Reply(body=SLOW_BODY, trickle=TRICKLE, trickle_head=True),
}
HUGE = 128 * MiB  # streamed by the server, never held by it


@pytest.fixture
def server() -> Iterator[SlowServer]:
    with slow_server() as running:
        yield running


def use_acs(settings: Settings, server: SlowServer, *, read: float = 1.0, write: float = 1.0) -> None:
    settings.CAMPAIGN_BACKEND = "acs"
    settings.ACS_API_URL = server.url
    settings.ACS_IMS_URL = server.url
    settings.ACS_ORGANIZATION = "acme-mkt-stage1"
    settings.ACS_CLIENT_ID, settings.ACS_CLIENT_SECRET = "slow-id", "slow-secret"
    settings.ACS_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.ACS_READ_TIMEOUT_SECONDS = read
    settings.ACS_TIMEOUT_SECONDS = write
    reset_backends()


def use_v8(settings: Settings, server: SlowServer, *, limit: float = 1.0) -> None:
    settings.CAMPAIGN_BACKEND = "v8"
    settings.V8_URL = server.url
    settings.V8_AUTH = "ims"
    settings.V8_IMS_URL = server.url
    settings.V8_CLIENT_ID, settings.V8_CLIENT_SECRET = "slow-id", "slow-secret"
    settings.V8_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.V8_READ_TIMEOUT_SECONDS = limit
    reset_backends()


def read_a_profile() -> None:
    """One read through whichever backend is configured (v8 finds by address)."""
    backend = get_backend()
    if isinstance(backend, ACSBackend):
        backend.get_profile("@someone")
    else:
        backend.find_profile("someone@example.com")


@contextmanager
def gives_up_within(seconds: float, match: str | None = None) -> Iterator[None]:
    """The block raises `CampaignUnavailable` (matching `match`) in under `seconds`."""
    started = time.monotonic()
    with pytest.raises(CampaignUnavailable, match=match):
        yield
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"gave up after {elapsed:.1f} s"


# --- one deadline for the whole call ----------------------------------------------------


@pytest.mark.parametrize("reply", TRICKLES.values(), ids=TRICKLES.keys())
@pytest.mark.parametrize("backend", ["acs", "v8"])
def test_a_trickling_reply_is_abandoned_at_the_calls_deadline(
    settings: Settings, server: SlowServer, backend: str, reply: Reply
) -> None:
    (use_acs if backend == "acs" else use_v8)(settings, server)
    server.answer(reply)
    with gives_up_within(3.0):
        read_a_profile()
    # Abandoned: the connection is closed, not left to trickle on in the pool.
    wait_until(server.hung_up, "the client to close the trickling connection")


def test_a_trickling_ims_token_is_abandoned_at_its_deadline(server: SlowServer) -> None:
    server.ims = Reply(body=SLOW_BODY, trickle=TRICKLE)
    tokens = IMSTokenClient(
        server.url,
        "slow-id",
        "slow-secret",
        ("openid",),
        session=new_session("tests", max_reply_bytes=MiB),
        timeout=(1.0, 1.0),
    )
    with gives_up_within(3.0, match="IMS"):
        tokens.token()
    wait_until(server.hung_up, "the client to close the trickling connection")


def test_a_token_fetched_for_a_call_spends_that_calls_time(settings: Settings, server: SlowServer) -> None:
    """The token request's own limit (the write limit, 10 s) is longer than
    the read that needs it (1 s): the read's deadline wins."""
    use_acs(settings, server, read=1.0, write=10.0)
    server.ims = Reply(body=SLOW_BODY, trickle=TRICKLE)
    with gives_up_within(3.0):
        get_backend().get_profile("@someone")
    assert server.api_requests() == []  # the call itself was never sent


REFUSED = {
    "acs": Reply(status=401, body=b'{"error_code": "401013", "message": "Oauth token is not valid"}'),
    "v8": Reply(status=401, body=b"", content_type="text/xml"),
}


@pytest.mark.parametrize("backend", ["acs", "v8"])
def test_a_renewal_and_resend_share_the_first_sends_deadline(
    settings: Settings, server: SlowServer, backend: str
) -> None:
    """A 401 after 1.5 of the call's 2 s, then a resend that trickles: the call
    gives up at 2 s, not 2 s after the resend (3.5 s)."""
    if backend == "acs":
        use_acs(settings, server, read=2.0)
    else:
        use_v8(settings, server, limit=2.0)
    refused = REFUSED[backend]
    server.answer(Reply(status=refused.status, body=refused.body, delay=1.5), TRICKLES["content-length"])
    with gives_up_within(3.0):
        read_a_profile()
    assert len(server.api_requests()) == 2  # the resend went out ...
    assert len(server.token_requests()) == 2  # ... with a renewed token


# --- the preferences page's budget ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["acs", "v8"])
def test_the_preferences_page_answers_503_within_its_budget_while_campaign_trickles(
    client: Client, newsletter: Topic, settings: Settings, server: SlowServer, backend: str
) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    confirm_latest(client)
    assert client.get(link_in(mail.outbox[-1], "/preferences/")).status_code == 302
    # Each call may take 5 s, the page 1 s in all: the page's budget decides.
    if backend == "acs":
        use_acs(settings, server, read=5.0)
    else:
        use_v8(settings, server, limit=5.0)
    settings.CAMPAIGN_READ_BUDGET_SECONDS = 1.0
    server.answer(TRICKLES["chunked"])
    started = time.monotonic()
    response = client.get("/preferences/edit/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response["Retry-After"]
    assert elapsed < 3.0, f"answered after {elapsed:.1f} s"
    assert server.api_requests(), "the page never asked Campaign"


# --- bounded replies --------------------------------------------------------------------


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of memory Python allocated inside the block, in bytes (`[peak]`)."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
@pytest.mark.parametrize("backend", ["acs", "v8"])
def test_a_huge_reply_is_abandoned_at_the_cap_without_being_held(
    settings: Settings, server: SlowServer, backend: str, framing: Any
) -> None:
    settings.CAMPAIGN_MAX_REPLY_BYTES = MiB
    (use_acs if backend == "acs" else use_v8)(
        settings, server, **{"read" if backend == "acs" else "limit": 30.0}
    )
    server.answer(Reply(size=HUGE, framing=framing, content_type="text/xml"))
    get_backend()  # loaded outside the measurement
    with peak_memory() as peak, pytest.raises(CampaignUnavailable, match="CAMPAIGN_MAX_REPLY_BYTES"):
        read_a_profile()
    assert peak[0] < 16 * MiB, f"{peak[0] / MiB:.0f} MiB held for a {HUGE // MiB} MiB reply"
    wait_until(server.hung_up, "the client to hang up on the huge reply")
    assert server.sent() < 64 * MiB, f"the client read on to {server.sent() / MiB:.0f} MiB"


def test_a_content_length_over_the_cap_is_refused_before_reading(
    settings: Settings, server: SlowServer
) -> None:
    """Declared too long and sent slowly: refused at once, not read until the deadline."""
    settings.CAMPAIGN_MAX_REPLY_BYTES = MiB
    use_acs(settings, server, read=10.0)
    server.answer(Reply(body=SLOW_BODY, declared=HUGE, trickle=TRICKLE))
    with gives_up_within(1.0, match="declares"):
        get_backend().get_profile("@someone")


def test_a_reply_of_exactly_the_cap_is_read_and_one_byte_more_is_refused(
    settings: Settings, server: SlowServer
) -> None:
    settings.CAMPAIGN_MAX_REPLY_BYTES = 100_000
    use_acs(settings, server)
    client = get_backend().client  # type: ignore[attr-defined]
    exactly = json.dumps({"pad": ""}).encode()
    exactly = json.dumps({"pad": "x" * (100_000 - len(exactly))}).encode()
    assert len(exactly) == 100_000
    server.answer(Reply(body=exactly, framing="chunked"))
    assert len(client.request("GET", client.url("/probe"), action="probe")["pad"]) > 99_000
    server.answer(Reply(body=exactly + b" ", framing="chunked"))
    with pytest.raises(CampaignUnavailable, match="CAMPAIGN_MAX_REPLY_BYTES"):
        client.request("GET", client.url("/probe"), action="probe")


def test_a_huge_ims_reply_is_refused(server: SlowServer) -> None:
    server.ims = Reply(size=HUGE, framing="chunked")
    tokens = IMSTokenClient(
        server.url,
        "slow-id",
        "slow-secret",
        ("openid",),
        session=new_session("tests", max_reply_bytes=MiB),
        timeout=(1.0, 30.0),
    )
    with peak_memory() as peak, pytest.raises(CampaignUnavailable, match="CAMPAIGN_MAX_REPLY_BYTES"):
        tokens.token()
    assert peak[0] < 16 * MiB
