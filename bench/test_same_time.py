"""`make bench`: does a known address answer in the same time as an unknown
one, on sign-up and on "email me my link"? The attack that found it: "Email
me my link" answered 10-15 ms slower for a known address (medians of 30).

Through the test client, on the suite's database, with commits (the
worker's wake-up is part of the request). Rounds interleave known and
unknown, in alternating order, so drift on the machine affects both alike;
each unknown address is new, on each page, so that it stays unknown. The worker does not
run meanwhile: what it does for either is not the page's time.

Nothing here asserts a time (tests/test_same_work.py proves the same work
deterministically); the figures are printed, to compare between runs.
"""

import statistics
import time
from collections import defaultdict
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.figures import row, write_figures
from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import Subscriber, Topic

ROUNDS = 100
WARM_UP = 5
KNOWN = "member@example.com"

Timings = dict[tuple[str, str], list[float]]


def report(timings: Timings, statements: dict[tuple[str, str], int]) -> str:
    lines = [
        f"{'page':<18}{'known p50/p95 ms':>22}{'unknown p50/p95 ms':>24}{'known - unknown':>18}"
        f"{'SQL known/unknown':>20}"
    ]
    for page in dict.fromkeys(page for page, _case in timings):
        cells, medians = [], {}
        for case in ("known", "unknown"):
            values = sorted(timings[(page, case)])
            medians[case] = statistics.median(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            cells.append(f"{medians[case] * 1000:>12.2f} / {p95 * 1000:>6.2f}")
        difference = (medians["known"] - medians["unknown"]) * 1000
        counts = f"{statements[(page, 'known')]} / {statements[(page, 'unknown')]}"
        lines.append(f"{page:<18}{cells[0]:>22}{cells[1]:>24}{difference:>15.2f} ms{counts:>20}")
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_known_and_unknown_addresses_answer_in_the_same_time(
    settings: Any, newsletter: Topic, unlimited: None
) -> None:
    # Under its limit: the known address would get its email every time.
    settings.SIGNUP_EMAILS_PER_HOUR = 10_000
    Subscriber.objects.create(
        email=KNOWN,
        person_key=person_key(KNOWN),
        status=Subscriber.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    pages = {
        "sign-up POST": ("/signup/", {"language": "en", "topics": [str(newsletter.pk)]}, 302),
        "email-my-link POST": ("/preferences/", {}, 303),
    }
    client = Client()
    timings: Timings = defaultdict(list)
    for round_number in range(-WARM_UP, ROUNDS):
        for number, (page, (path, fields, status)) in enumerate(pages.items()):
            # New for each page too: the old code's sign-up made its address known.
            cases = [("known", KNOWN), ("unknown", f"stranger{number}-{round_number + WARM_UP}@example.com")]
            if round_number % 2:
                cases.reverse()
            for case, email in cases:
                started = time.perf_counter()
                response = client.post(path, {**fields, "email": email})
                seconds = time.perf_counter() - started
                assert response.status_code == status
                if round_number >= 0:
                    timings[(page, case)].append(seconds)

    # How many statements each ran (once more, untimed): on PostgreSQL each is
    # a round trip, which is what made the difference measurable there.
    statements = {}
    for number, (page, (path, fields, _status)) in enumerate(pages.items()):
        for case, email in (("known", KNOWN), ("unknown", f"stranger{number}-last@example.com")):
            # Both with the same history: the known address's abuse counters
            # exist from the rounds above, so the stranger's must too (its
            # first request adds them, a later one increments them: that tells
            # "asked about within the hour", never "known").
            client.post(path, {**fields, "email": email})
            with CaptureQueriesContext(connection) as queries:
                client.post(path, {**fields, "email": email})
            statements[(page, case)] = len(queries.captured_queries)

    rows = []
    for page in pages:
        medians = {case: statistics.median(timings[(page, case)]) for case in ("known", "unknown")}
        difference = (medians["known"] - medians["unknown"]) * 1000
        same = statements[(page, "known")] == statements[(page, "unknown")]
        rows.append(
            row(f"{page}: known - unknown, median", difference, "ms", "|d| < 1 ms", abs(difference) < 1)
        )
        rows.append(
            row(
                f"{page}: SQL statements known - unknown",
                statements[(page, "known")] - statements[(page, "unknown")],
                "statements",
                "0",
                same,
            )
        )
    write_figures("same_time", "Known and unknown addresses answer in the same time (medians of 100)", rows)
    print(
        f"\n[bench] known vs unknown address, {ROUNDS} interleaved rounds each "
        f"(after {WARM_UP} to warm up), test client, database {settings.DATABASES['default']['ENGINE']}\n"
        + report(timings, statements)
    )
