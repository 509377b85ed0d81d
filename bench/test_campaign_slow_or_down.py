"""`make bench`: how fast the public pages answer while Campaign is healthy,
slow, or down, measured side by side in one run against the ACS emulator.

Rounds are interleaved (healthy, slow, down, healthy, ...) so drift on the
machine affects the three conditions alike. Reported as medians and 95th
percentiles per page, and as the ratio of each condition to healthy: a
sign-up, a confirmation and a one-click opt-out must not wait on Campaign
(ratio near 1), while the preferences page reads Campaign live and so waits
up to CAMPAIGN_READ_BUDGET_SECONDS in all, then answers 503 with a retry hint.

Nothing here asserts a time: the figures are printed for the note and the
README, and compared between runs by a person.
"""

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from signup_site.campaign.models import PendingSignup, Subscriber, Topic
from signup_site.web.links import site_links
from tests.acs_support import Emulator, use_acs_emulator
from tests.helpers import path_of, run_worker, sign_up, take_in_requests

ROUNDS = 20
READ_ROUNDS = 5
SLOW_SECONDS = 1.0
CONDITIONS: dict[str, dict[str, Any]] = {
    "healthy": {"latency": 0, "error_rate": 0.0},
    "slow": {"latency": SLOW_SECONDS, "error_rate": 0.0},
    "down": {"latency": 0, "error_rate": 1.0},
}

Timings = dict[tuple[str, str], list[float]]


def timed(timings: Timings, page: str, condition: str, call: Callable[..., Any], *args: Any) -> Any:
    started = time.perf_counter()
    result = call(*args)
    timings[(page, condition)].append(time.perf_counter() - started)
    return result


def report(timings: Timings) -> str:
    pages = list(dict.fromkeys(page for page, _ in timings))
    lines = [
        f"{'page':<22}"
        + "".join(f"{name + ' p50/p95 ms':>24}" for name in CONDITIONS)
        + "  slow/healthy  down/healthy"
    ]
    for page in pages:
        cells, medians = [], {}
        for name in CONDITIONS:
            values = sorted(timings[(page, name)])
            medians[name] = statistics.median(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            cells.append(f"{medians[name] * 1000:>14.1f} / {p95 * 1000:>6.1f}")
        ratios = [medians[name] / medians["healthy"] for name in ("slow", "down")]
        lines.append(
            f"{page:<22}"
            + "".join(f"{cell:>24}" for cell in cells)
            + f"{ratios[0]:>13.2f}x{ratios[1]:>13.2f}x"
        )
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_pages_while_campaign_is_healthy_slow_or_down(
    live_server: Any, settings: Any, newsletter: Topic, offers: Topic
) -> None:
    emulator: Emulator = use_acs_emulator(live_server, settings)
    settings.SIGNUP_EMAILS_PER_HOUR = 10_000
    client = Client()
    timings: Timings = defaultdict(list)
    statuses: dict[tuple[str, str], set[int]] = defaultdict(set)

    # Writes: sign-up, confirmation, update and opt-out, ROUNDS of each per condition.
    for round_number in range(ROUNDS):
        for name, knobs in CONDITIONS.items():
            emulator.knobs(**knobs)
            email = f"{name}{round_number}@example.com"
            timed(timings, "sign-up POST", name, sign_up, client, email, newsletter, offers)
            take_in_requests()  # the worker's lookup: not the page's time
            signup = PendingSignup.objects.get(subscriber__email=email)
            confirm = path_of(site_links.confirm_url(signup))
            response = timed(timings, "confirm POST", name, client.post, confirm)
            statuses[("confirm POST", name)].add(response.status_code)
            subscriber = Subscriber.objects.get(email=email)
            unsubscribe = path_of(site_links.unsubscribe_url(subscriber))
            response = timed(
                timings,
                "one-click unsubscribe",
                name,
                Client().post,
                unsubscribe,
                {"List-Unsubscribe": "One-Click"},
            )
            statuses[("one-click unsubscribe", name)].add(response.status_code)

    # Reads: the preferences page of someone Campaign knows.
    emulator.knobs(**CONDITIONS["healthy"])
    sign_up(client, "reader@example.com", newsletter)
    take_in_requests()
    client.post(
        path_of(site_links.confirm_url(PendingSignup.objects.get(subscriber__email="reader@example.com")))
    )
    run_worker()
    reader = Subscriber.objects.get(email="reader@example.com")
    assert reader.campaign_pkey, "the reader's profile did not reach the emulator"
    for _ in range(READ_ROUNDS):
        for name, knobs in CONDITIONS.items():
            emulator.knobs(**knobs)
            browser = Client()
            browser.get(path_of(site_links.preferences_url(reader)))
            response = timed(timings, "preferences GET", name, browser.get, "/preferences/edit/")
            statuses[("preferences GET", name)].add(response.status_code)
    emulator.knobs(**CONDITIONS["healthy"])

    print(
        f"\n[bench] Campaign healthy, slow (+{SLOW_SECONDS:.0f} s per call) or down (every call 503); "
        f"{ROUNDS} rounds of writes, {READ_ROUNDS} of reads, interleaved; "
        f"page read budget {settings.CAMPAIGN_READ_BUDGET_SECONDS} s\n" + report(timings)
    )
    print("[bench] statuses: " + ", ".join(f"{p} {c}: {sorted(s)}" for (p, c), s in statuses.items()))
