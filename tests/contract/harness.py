"""What a contract test gets for one backend: the backend, a way to see the
transactional messages it delivered, a way to wait for writes to land, a
profile key of the backend's own shape that nobody has, (with a Campaign
behind it) what reached that Campaign, and (where Adobe publishes a machine
readable API) an audit of those requests against it, run after each test.

A factory takes pytest's `request` (to reach fixtures such as `live_server`
and `settings`) and returns a `Harness`. Register it in `conftest.BACKENDS`.
"""

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from signup_site.campaign.backends import get_backend, reset_backends
from signup_site.campaign.backends.base import CampaignBackend
from signup_site.campaign.models import LocalMessage, LocalService
from signup_site.campaign.seed import DEFAULT_TOPICS
from tests.acs_openapi import SPEC_PATH, journal_problems
from tests.acs_support import ORGANIZATION, Emulator, use_acs_emulator


def _nothing() -> None:
    """Writes are visible at once."""


@dataclass
class Harness:
    name: str
    backend: CampaignBackend
    # Recipients of the transactional messages delivered so far, in order.
    sent: Callable[[], list[str]]
    # A key shaped like this backend's own (an opaque "@..." PKey, or on v8
    # an address) that no profile has: a lookup must reach Campaign to learn it.
    unknown_pkey: str
    # The requests that reached Campaign so far, one text each (the path, or
    # the SOAP action and its parameters); None when no Campaign is behind.
    reached: Callable[[], list[str]] | None = None
    # Make earlier writes visible to reads (v8 replicates its staging tables).
    settle: Callable[[], object] = field(default=_nothing)
    # After the test: every request that reached Campaign which its published
    # API does not allow, one line each; None when there is nothing to check.
    audit: Callable[[], list[str]] | None = None


def local_harness(request: pytest.FixtureRequest) -> Harness:
    settings = request.getfixturevalue("settings")
    settings.CAMPAIGN_BACKEND = "local"
    reset_backends()
    for topic in DEFAULT_TOPICS:
        LocalService.objects.get_or_create(name=topic["service_name"], defaults={"label": topic["label"]})
    return Harness(
        name="local",
        backend=get_backend(),
        sent=lambda: list(LocalMessage.objects.order_by("id").values_list("email", flat=True)),
        unknown_pkey="@no-such-profile-key",
    )


def acs_openapi_audit(emulator: Emulator) -> Callable[[], list[str]] | None:
    """Every request against the OpenAPI document of Adobe's SDK
    (tests/acs_openapi.py). Without the SDK installed: no audit, and a
    warning; in CI (CI=true) the test fails instead."""
    if not SPEC_PATH.is_file():
        why = f"{SPEC_PATH} is missing (make node_modules/.installed): ACS requests not checked"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        warnings.warn(why, stacklevel=2)
        return None
    return lambda: journal_problems(emulator.log("acs"), ORGANIZATION)


def acs_harness(request: pytest.FixtureRequest) -> Harness:
    emulator = use_acs_emulator(request.getfixturevalue("live_server"), request.getfixturevalue("settings"))
    return Harness(
        name="acs",
        backend=get_backend(),
        sent=lambda: [event["email"] for event in emulator.events()],
        unknown_pkey="@no-such-profile-key",
        reached=lambda: [f"{entry['method']} {entry['path']}" for entry in emulator.log("acs")],
        audit=acs_openapi_audit(emulator),
    )
