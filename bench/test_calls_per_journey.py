"""`make bench`: what one confirmed sign-up with one topic costs in Campaign
calls, read from the emulators' own journals (what reached "Campaign"), on ACS
and on v8 (both auth modes, Campaign sending the email).

The first sign-up warms the process (service lookups, the IMS token, a v8
logon); the figures are the sign-ups after it. Issue 15's budget: at most 4
calls on ACS, 3 on v8, tokens apart. Printed, not asserted (tests/
test_call_counts.py asserts the budget).
"""

from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from bench.figures import row, write_figures
from signup_site.campaign.backends import reset_backends
from signup_site.campaign.models import Topic
from tests.acs_support import Emulator, resource, use_acs_emulator
from tests.emulator_support import Controls
from tests.helpers import link_in, run_worker, sign_up
from tests.v8_support import start

JOURNEYS = 10
# Issue 15's budget: Campaign calls per confirmed sign-up, tokens apart.
BUDGET = {"acs": 4, "v8 (ims)": 3, "v8 (logon)": 3}


def journey(client: Client, email: str, topic: Topic) -> None:
    sign_up(client, email, topic, first_name="Sam")
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to its result page
    run_worker()


def measure(client: Client, topic: Topic, campaign: Controls, services: tuple[str, ...], label: str) -> None:
    journey(client, "warm-up@example.com", topic)
    campaign.clear_log(*services)
    for number in range(JOURNEYS):
        journey(client, f"person{number}@example.com", topic)
    entries = campaign.log(*services)
    calls = [entry for entry in entries if entry["service"] != "ims"]
    tokens = len(entries) - len(calls)
    kinds = Counter(entry.get("action") or f"{entry['method']} {resource(entry['path'])}" for entry in calls)
    print(
        f"\n{label:<22} {len(calls) / JOURNEYS:>4.1f} Campaign calls per confirmed sign-up "
        f"({JOURNEYS} sign-ups), {tokens} IMS token requests in all"
    )
    for kind, count in kinds.most_common():
        print(f"    {count / JOURNEYS:>4.1f}  {kind}")
    per_journey = len(calls) / JOURNEYS
    budget = BUDGET[label]
    write_figures(
        "calls_per_journey_" + "".join(c for c in label if c.isalnum()),
        "Issue 15 goal 3: Campaign calls per confirmed sign-up, from the emulator's journal",
        [
            row(
                f"calls per confirmed sign-up, {label}",
                per_journey,
                "calls",
                f"<= {budget}",
                per_journey <= budget,
            ),
            row(f"IMS token requests in {JOURNEYS} sign-ups, {label}", tokens, "requests"),
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_calls_per_journey_on_acs(live_server: Any, settings: Any, newsletter: Topic) -> None:
    emulator: Emulator = use_acs_emulator(live_server, settings)
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1_000
    measure(Client(), newsletter, emulator, ("acs", "ims"), "acs")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("auth", ["ims", "logon"])
def test_calls_per_journey_on_v8(live_server: Any, settings: Any, newsletter: Topic, auth: str) -> None:
    emulator = start(settings, live_server.url, auth)
    settings.V8_MESSAGES = "rtevent"
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1_000
    reset_backends()
    measure(Client(), newsletter, emulator, ("v8", "ims"), f"v8 ({auth})")
