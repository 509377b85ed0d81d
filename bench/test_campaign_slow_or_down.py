"""`make bench`, issue 15 goal 2: the web request never waits on Campaign.

Sign-up, confirmation, a preferences update and a one-click opt-out are timed
while Campaign (the ACS emulator, in a process of its own) is healthy, answers
every call in 1 s, or answers every call 503, **with a worker delivering the
outbox all the while** (4 slots: what the pages queue reaches "Campaign"
during the rounds, as in production). Rounds
interleave the conditions so drift on the machine affects them alike; each
round also times the floor, a trivial view through the same middleware
stack. Goal: each write's p50 and p99 with Campaign slow or down within 10 %
of healthy; ratios are taken only between answers of the same status.

The worker is `manage.py worker --slots 4` in a process of its own, as
production runs it, on the test database (a file): as a thread of this
process it shared the interpreter lock with the pages it timed, which made
"healthy" (the worker busy) the slowest condition of all.

The preferences page reads Campaign live, so it waits (up to
CAMPAIGN_READ_BUDGET_SECONDS in all) and then answers 503: reported, with
its statuses, not judged against the goal.

Nothing here asserts a time: the figures go to var/bench/slow_or_down.json.
"""

import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from bench.figures import (
    BENCH_DIR,
    acs_settings,
    emulator_process,
    percentile,
    row,
    taken_in,
    worker_process,
    write_figures,
)
from signup_site.campaign.models import Change, Subscriber, Topic
from signup_site.campaign.preferences import Snapshot
from signup_site.web.links import site_links
from signup_site.web.preferences import sign_shown
from tests.helpers import path_of

# A p99 needs about 100 samples to be more than the slowest answer.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))
SLOW_SECONDS = 1.0
WORKER_SLOTS = 4
CONDITIONS: dict[str, dict[str, Any]] = {
    "healthy": {"latency": 0, "error_rate": 0.0},
    "slow": {"latency": SLOW_SECONDS, "error_rate": 0.0},
    "down": {"latency": 0, "error_rate": 1.0},
}
WRITES = ("sign-up POST", "confirm POST", "update POST", "one-click unsubscribe")
# Within 10 % of healthy (issue 15, goal 2).
GOAL_RATIO = 1.10

# (page, condition) -> [(status, seconds)]
Timings = dict[tuple[str, str], list[tuple[int, float]]]


def timed(timings: Timings, page: str, condition: str, call: Callable[..., Any], *args: Any) -> Any:
    started = time.perf_counter()
    response = call(*args)
    timings[(page, condition)].append((response.status_code, time.perf_counter() - started))
    return response


def one_round(timings: Timings, condition: str, email: str, newsletter: Topic, offers: Topic) -> None:
    client = Client()
    timed(timings, "floor (trivial view)", condition, client.get, "/bench/floor")
    signup = {"email": email, "language": "en", "first_name": "Sam", "topics": [str(newsletter.pk)]}
    timed(timings, "sign-up POST", condition, client.post, "/signup/", signup)
    confirm = path_of(site_links.confirm_url(taken_in(email)))
    timed(timings, "confirm POST", condition, client.post, confirm)
    subscriber = Subscriber.objects.get(email=email)
    client.get(path_of(site_links.preferences_url(subscriber)))  # the emailed link: a session
    shown = Snapshot(
        first_name="Sam", last_name="", email=email, language="en", topics=frozenset({"NEWSLETTER"})
    )
    update = {
        "shown": sign_shown(subscriber, shown),
        "first_name": "Samantha",
        "last_name": "",
        "email": email,
        "language": "en",
        "topics": ["NEWSLETTER", offers.service_name],
    }
    timed(timings, "update POST", condition, client.post, "/preferences/edit/", update)
    unsubscribe = path_of(site_links.unsubscribe_url(subscriber))
    timed(
        timings,
        "one-click unsubscribe",
        condition,
        Client().post,
        unsubscribe,
        {"List-Unsubscribe": "One-Click"},
    )


def worker_env(settings: Any, emulator_url: str) -> dict[str, str]:
    """The environment of a worker process on this test's database, with its
    secret key, pointed at the emulator."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    return (
        env
        | acs_settings(emulator_url)
        | {
            "DJANGO_SETTINGS_MODULE": "signup_site.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_STATIC_MANIFEST": "false",
            "DATABASE_URL": url,
            "SITE_URL": "http://testserver",
            "BRAND_POSTAL_ADDRESS": "1 Bench Street",
        }
    )


def figures(timings: Timings) -> tuple[list[dict[str, Any]], list[str]]:
    rows, lines = [], []
    header = f"{'page':<24}{'status':>7}" + "".join(f"{name + ' p50/p99 ms':>26}" for name in CONDITIONS)
    lines.append(header + "   slow/healthy  down/healthy (p50, p99)")
    for page in dict.fromkeys(page for page, _ in timings):
        statuses = Counter(status for name in CONDITIONS for status, _s in timings[(page, name)])
        for status in sorted(statuses):
            values = {name: [s for code, s in timings[(page, name)] if code == status] for name in CONDITIONS}
            cells, ratios = [], {}
            for name, seconds in values.items():
                if not seconds:
                    cells.append(f"{'-':>26}")
                    continue
                p50, p99 = percentile(seconds, 0.5), percentile(seconds, 0.99)
                cells.append(f"{p50 * 1000:>9.1f} / {p99 * 1000:>7.1f} (n={len(seconds):>2})")
                if values["healthy"] and name != "healthy":
                    healthy = values["healthy"]
                    ratios[name] = (p50 / percentile(healthy, 0.5), p99 / percentile(healthy, 0.99))
            judged = page in WRITES
            for name, (p50_ratio, p99_ratio) in ratios.items():
                for label, value in (("p50", p50_ratio), ("p99", p99_ratio)):
                    target, met = (f"<= {GOAL_RATIO:.2f}", value <= GOAL_RATIO) if judged else (None, None)
                    rows.append(row(f"{page} {status}, {name}/healthy {label}", value, "ratio", target, met))
            shown = "".join(
                f"{ratios[n][0]:>7.2f}x {ratios[n][1]:>5.2f}x" if n in ratios else f"{'-':>15}"
                for n in ("slow", "down")
            )
            lines.append(f"{page:<24}{status:>7}" + "".join(cells) + "  " + shown)
    return rows, lines


@pytest.mark.django_db(transaction=True)
def test_pages_while_campaign_is_healthy_slow_or_down(
    settings: Any, newsletter: Topic, offers: Topic, unlimited: None
) -> None:
    from tests.acs_support import use_acs_emulator

    settings.ROOT_URLCONF = "bench.figures"
    settings.SIGNUP_EMAILS_PER_HOUR = 10_000
    timings: Timings = defaultdict(list)
    with emulator_process() as site:
        emulator = use_acs_emulator(site, settings)
        with worker_process(
            worker_env(settings, site.url), WORKER_SLOTS, BENCH_DIR / "slow-or-down-worker.log"
        ):
            # The IMS token, the service lookups, the connections: not measured.
            one_round(defaultdict(list), "healthy", "warm-up@example.com", newsletter, offers)
            for number in range(ROUNDS):
                for name, knobs in CONDITIONS.items():
                    emulator.knobs(**knobs)
                    one_round(timings, name, f"{name}{number}@example.com", newsletter, offers)
            emulator.knobs(**CONDITIONS["healthy"])
            steps = Change.objects.filter(status=Change.Status.DONE).count()
        delivered = len(emulator.profiles())

        # Reads: the preferences page of someone Campaign knows.
        reader = Subscriber.objects.filter(email="warm-up@example.com").get()
        for _ in range(ROUNDS):
            for name, knobs in CONDITIONS.items():
                emulator.knobs(**knobs)
                browser = Client()
                browser.get(path_of(site_links.preferences_url(reader)))
                timed(timings, "preferences GET", name, browser.get, "/preferences/edit/")
        emulator.knobs(**CONDITIONS["healthy"])

    rows, lines = figures(timings)
    rows.append(row("changes delivered during the write rounds", steps, "changes"))
    rows.append(row("profiles reaching Campaign during the rounds", delivered, "profiles"))
    print(
        f"\n[bench] Campaign healthy, slow (+{SLOW_SECONDS:.0f} s per call) or down (every call 503); "
        f"{ROUNDS} interleaved rounds each, worker process running ({WORKER_SLOTS} slots, "
        f"{steps} changes delivered, "
        f"{delivered} profiles created meanwhile); read budget {settings.CAMPAIGN_READ_BUDGET_SECONDS} s\n"
        + "\n".join(lines)
    )
    write_figures(
        "slow_or_down",
        "Issue 15 goal 2: writes' p50 and p99 with Campaign slow (1 s) or down within 10 % of healthy",
        rows,
    )
