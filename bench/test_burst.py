"""`make bench`, issue 15 goal 5: a burst. BENCH_BURST sign-up POSTs and as
many confirmation POSTs (default 5,000 of each, the goal) arrive over
BENCH_BURST_SECONDS (default 60), evenly spaced, alternating, at the site as
production runs it (bench/server.py: gunicorn with gunicorn.conf.py's workers (one per
core), DEBUG off), on
PostgreSQL when BENCH_DATABASE_URL answers, else SQLite. The confirmations
are a launch email's recipients: BENCH_BURST people signed up before the
burst through the site's own code (bench/burst_people.py), whose links are
minted by `site_links`. Campaign is the ACS emulator in a process of its own
answering 429 + `Retry-After: 1` beyond BENCH_BURST_RATE calls a second
(default 50); the real worker (`manage.py worker --slots 16`) drains the
outbox during and after the burst, against the same database.

The arrivals are open-loop: each request leaves at its scheduled time
whether or not earlier ones were answered (asyncio, a connection per
request), so a slow site shows as latency and errors, never as a generator
that waits politely. wrk keeps a fixed number of connections (closed-loop)
and threads cap concurrency at the pool's size, so neither would do. The
generator's lateness (actual send time against schedule) is reported, and
latency is measured from the scheduled time.

Every answer is counted by status; a connection error or no answer within
60 s is an error. Nothing asserts a time: the bench asserts that it ran.
"""

import asyncio
import json
import os
import re
import runpy
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.figures import (
    BENCH_DIR,
    acs_settings,
    cpu_seconds,
    emulator_process,
    percentile,
    row,
    worker_process,
    write_figures,
)
from bench.server import ROOT, Served, fetch, postgres_reachable, site_server, throwaway_postgres
from tests.acs_support import Emulator

BURST = int(os.environ.get("BENCH_BURST", "5000"))
SECONDS = float(os.environ.get("BENCH_BURST_SECONDS", "60"))
RATE = int(os.environ.get("BENCH_BURST_RATE", "50"))
# Enough slots that the worker keeps up with Campaign's limit rather than
# being the limit itself (4 slots deliver about 20 calls a second here).
WORKER_SLOTS = int(os.environ.get("BENCH_BURST_SLOTS", "16"))
TIMEOUT = 60.0
# As production runs the site: gunicorn.conf.py's number of workers.
WEB_WORKERS = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
DRAIN_LIMIT_SECONDS = float(os.environ.get("BENCH_BURST_DRAIN_LIMIT", "1200"))
SUCCESS = {"signup": 302, "confirm": 303}  # a confirmation answers 303 to its result page

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT = re.compile(r'name="consent" value="([^"]+)"')
TOPIC = re.compile(r'name="topics" value="([^"]+)"')
UNFINISHED_SQL = (
    "SELECT (SELECT count(*) FROM campaign_change WHERE status IN ('pending', 'in_progress'))"
    " + (SELECT count(*) FROM campaign_inboundrequest)"
)


@contextmanager
def bench_database() -> Iterator[tuple[str, str]]:
    """(database URL, its name for the table): PostgreSQL when it answers."""
    postgres = os.environ.get("BENCH_DATABASE_URL", "")
    if postgres and postgres_reachable(postgres):
        with throwaway_postgres(postgres) as url:
            yield url, "PostgreSQL"
    else:
        with tempfile.TemporaryDirectory(prefix="bench-burst-db-") as directory:
            yield f"sqlite:///{directory}/db.sqlite3", "SQLite"


def unfinished(database_url: str) -> int:
    """Changes not yet delivered plus requests not yet taken in."""
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as connection:
            return int(connection.execute(UNFINISHED_SQL).fetchone()[0])
    import psycopg

    with psycopg.connect(database_url) as connection:
        found = connection.execute(UNFINISHED_SQL).fetchone()
        return int(found[0]) if found else 0


def launch_recipients(out: Path) -> Any:
    def prepare(site: Served) -> None:
        subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", "bench.burst_people", str(BURST), str(out)],
            cwd=ROOT,
            env=site.env,
            check=True,
        )

    return prepare


def requests_for(site: Served, confirm_paths: list[str]) -> list[tuple[str, bytes]]:
    """(kind, raw HTTP request) for each arrival, sign-ups and confirmations
    alternating; one page read first for the CSRF cookie and consent."""
    status, cookies, html = fetch(site.port, "GET", "/signup/", headers={"Accept-Language": "en"})
    token, consent, topic = CSRF.search(html), CONSENT.search(html), TOPIC.search(html)
    assert status == 200 and "csrftoken" in cookies and token and consent and topic, status

    def post(path: str, fields: dict[str, str]) -> bytes:
        body = urlencode(fields).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nCookie: csrftoken={cookies['csrftoken']}\r\n"
            "Accept-Language: en\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + body

    arrivals = []
    for n in range(BURST):
        fields = {"csrfmiddlewaretoken": token[1], "consent": consent[1], "language": "en"}
        fields |= {"email": f"burst{n}@example.com", "topics": topic[1]}
        arrivals.append(("signup", post("/signup/", fields)))
        arrivals.append(("confirm", post(confirm_paths[n], {"csrfmiddlewaretoken": token[1]})))
    return arrivals


async def exchange(port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    return int(answer.split(b" ", 2)[1])


async def arrive(port: int, arrivals: list[tuple[str, bytes]]) -> list[tuple[str, str, float, float]]:
    """Each request at its time: (kind, outcome, lateness, latency); outcome a
    status or the error's name."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 1.0
    spacing = SECONDS / len(arrivals)

    async def one(i: int, kind: str, request: bytes) -> tuple[str, str, float, float]:
        scheduled = start + i * spacing
        await asyncio.sleep(scheduled - loop.time())
        late = loop.time() - scheduled
        try:
            outcome = str(await asyncio.wait_for(exchange(port, request), TIMEOUT))
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            outcome = type(error).__name__
        return kind, outcome, late, loop.time() - scheduled

    return await asyncio.gather(*(one(i, kind, request) for i, (kind, request) in enumerate(arrivals)))


def role_of(pid: int, command: str) -> str | None:
    """Which part of the bench a process is, for the CPU each spent."""
    if pid == os.getpid():
        return "generator"
    if "signup_site.wsgi:application" in command:
        return "site (gunicorn)"
    if "gunicorn signup_site.wsgi -b" in command:
        return "Campaign emulator"
    if "manage.py worker" in command:
        return "worker"
    if command.startswith("postgres"):
        return "PostgreSQL"
    return None


def peak_per_second(log: list[dict[str, Any]]) -> int:
    seconds = Counter(int(entry["at"]) for entry in log if entry.get("status") != 429)
    return max(seconds.values(), default=0)


def test_a_burst_of_sign_ups_and_confirmations() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    paths_file = BENCH_DIR / "burst-confirm-paths.json"
    with (
        bench_database() as (database_url, database),
        emulator_process() as campaign,
        site_server(
            database_url, acs_settings(campaign.url), launch_recipients(paths_file), workers=None
        ) as site,
    ):
        emulator = Emulator(campaign.url)
        emulator.reset()
        emulator.knobs(rate_limit={"calls": RATE, "seconds": 1, "retry_after": 1})
        arrivals = requests_for(site, json.loads(paths_file.read_text()))
        paths_file.unlink()
        with worker_process(site.env, WORKER_SLOTS, BENCH_DIR / "burst-worker.log"):
            started, cpu_before = time.monotonic(), cpu_seconds(role_of)
            results = asyncio.run(arrive(site.port, arrivals))
            answered = time.monotonic() - started
            cpu = {
                role: seconds - cpu_before.get(role, 0.0) for role, seconds in cpu_seconds(role_of).items()
            }
            print(f"\n[bench] burst answered in {answered:.1f} s: {dict(Counter(r[:2] for r in results))}")
            while unfinished(database_url) and time.monotonic() - started < DRAIN_LIMIT_SECONDS:
                time.sleep(1)
            drained = time.monotonic() - started
            left = unfinished(database_url)
        log = emulator.log("acs")
    figures = burst_figures(results, log, answered, drained, left, database) + cpu_figures(cpu, answered)
    assert len(results) == 2 * BURST  # the bench ran; the figures are reported, not judged here
    write_figures(
        "burst", "Issue 15 goal 5: a burst answered without error; the outbox drains under 429s", figures
    )


def burst_figures(
    results: list[tuple[str, str, float, float]],
    log: list[dict[str, Any]],
    answered: float,
    drained: float,
    left: int,
    database: str,
) -> list[dict[str, Any]]:
    outcomes = Counter(f"{kind} {outcome}" for kind, outcome, _late, _latency in results)
    errors = sum(1 for kind, outcome, _late, _latency in results if outcome != str(SUCCESS[kind]))
    latencies = [latency for _kind, _outcome, _late, latency in results]
    lateness = [late for _kind, _outcome, late, _latency in results]
    spacing = SECONDS / len(results)
    sent = [i * spacing + late for i, late in enumerate(lateness)]
    send_rate = (len(sent) - 1) / (max(sent) - min(sent)) * 60
    goal_rate = 2 * BURST / SECONDS * 60
    accepted = sum(1 for entry in log if entry.get("status") != 429)
    refused = len(log) - accepted
    drain_rate = accepted / drained
    where = f"{database}, gunicorn {WEB_WORKERS} workers (gunicorn.conf.py)"
    print(
        f"\n[bench] burst on {where}: {BURST} sign-ups + {BURST} confirmations "
        f"scheduled over {SECONDS:.0f} s, "
        f"sent at {send_rate:.0f}/min (latest send {max(lateness) * 1000:.0f} ms behind schedule), "
        f"all answered {answered:.1f} s after the start; outcomes {dict(outcomes)}; "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms; "
        f"outbox drained {drained:.1f} s after the start ({left} left), {accepted} Campaign calls accepted "
        f"({drain_rate:.1f}/s, peak {peak_per_second(log)} in a second; limit {RATE}/s), "
        f"{refused} refused 429"
    )
    return [
        row(
            f"burst ({where}): {BURST} sign-ups + {BURST} confirmations, answers not a success",
            errors,
            "answers",
            "0",
            errors == 0,
        ),
        row(
            "burst: arrival rate sent (open loop)",
            send_rate,
            "requests/min",
            f">= {goal_rate:.0f} (scheduled)",
            send_rate >= goal_rate * 0.95,
        ),
        row("burst: generator's latest send behind schedule", max(lateness) * 1000, "ms"),
        row("burst: answer latency p50 (from scheduled time)", percentile(latencies, 0.5) * 1000, "ms"),
        row("burst: answer latency p99 (from scheduled time)", percentile(latencies, 0.99) * 1000, "ms"),
        row("burst: time from the start until every answer", answered, "s"),
        row("burst: successes answered a minute", (len(results) - errors) / answered * 60, "answers/min"),
        row(f"burst: time to drain outbox and requests (Campaign limit {RATE} calls/s)", drained, "s"),
        row(
            "burst: Campaign calls accepted a second while draining",
            drain_rate,
            "calls/s",
            f"<= {RATE} (the limit)",
            drain_rate <= RATE and left == 0,
        ),
        # The journal's clock, whole seconds: a call counted by the limit's
        # window may land in the next second here.
        row("burst: Campaign calls accepted in the busiest second", peak_per_second(log), "calls"),
        row("burst: Campaign calls refused 429", refused, "calls"),
        row("burst: changes and requests left undelivered", left, "items", "0", left == 0),
    ]


def cpu_figures(cpu: dict[str, float], answered: float) -> list[dict[str, Any]]:
    """What each part spent of the CPU while the burst was being answered:
    where the machine's time went, and so what limits the answers."""
    available = answered * (os.cpu_count() or 1)
    spent = sorted(cpu.items(), key=lambda item: -item[1])
    print(
        f"\n[bench] CPU while answering ({answered:.0f} s x {os.cpu_count()} cores = {available:.0f} s): "
        + ", ".join(f"{role} {seconds:.0f} s" for role, seconds in spent)
    )
    rows = [row("burst: CPU available while answering (cores x time)", available, "CPU s")]
    return rows + [
        row(f"burst: CPU used while answering, {role}", seconds, "CPU s") for role, seconds in spent
    ]
