"""`make bench`: the blank form pages and a sign-up against the framework's floor.

The site runs as in production: gunicorn, 2 workers, DEBUG off, hashed static
files served by WhiteNoise, a database migrated and seeded in a temporary
directory. The floor is `/bench/floor` (bench/urls.py), a view that does
nothing, through the same middleware. Each page's throughput is measured side
by side with the floor's in one run, in interleaved rounds (floor, pages,
floor, pages, ...) so that whatever else the machine does weighs on both
alike; a page's figure is the median over the rounds of its ratio to the
floor of the same round. Goals (issue 15): a blank sign-up page GET, in every
language, at least half the floor; a valid sign-up POST at least 30 % of it
on PostgreSQL.

GETs are measured with wrk. The POST needs a CSRF token and a signed consent
version from a page first, so it is measured by a Python loop (threads,
http.client) against a floor measured by the same loop. PostgreSQL is used
when BENCH_DATABASE_URL names a server (`make bench` passes one): a
throwaway database is created there and dropped after.

Nothing here asserts a time. The table is printed, and the figures written as
JSON to var/bench/page_floor.json for the combined report.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.conf import settings

from bench.server import FLOOR, ROOT, fetch, postgres_reachable, site_server, throwaway_postgres

OUT = ROOT / "var" / "bench" / "page_floor.json"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
THREADS = 4
GET_TARGET, POST_TARGET = 0.50, 0.30

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT = re.compile(r'name="consent" value="([^"]+)"')
TOPIC = re.compile(r'name="topics" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)"
)


def wrk(port: int, path: str, language: str) -> float:
    """Requests per second of GET `path` (wrk, one thread, 4 connections)."""
    url = f"http://127.0.0.1:{port}{path}"
    command = ["wrk", "-t1", "-c4", f"-d{SECONDS}s", "-H", f"Accept-Language: {language}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert bad is None, f"{path} answered errors under load:\n{output}"
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found, output
    return float(found[1])


@dataclass
class Loop:
    """Requests per second of a request each of THREADS threads repeats."""

    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(
        self, port: int, prepare: Callable[[int], Callable[[int], tuple[str, str, str, dict[str, str]]]]
    ) -> float:
        done = [0] * THREADS
        stop = time.monotonic() + SECONDS

        def worker(n: int) -> None:
            make = prepare(n)
            i = 0
            while time.monotonic() < stop:
                method, path, body, headers = make(i)
                status = fetch(port, method, path, body, headers)[0]
                with self.lock:
                    self.statuses[status] += 1
                i += 1
            done[n] = i

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done) / (time.monotonic() - started)


def floor_request(n: int) -> Callable[[int], tuple[str, str, str, dict[str, str]]]:
    return lambda i: ("GET", FLOOR, "", {})


def signup_request(
    port: int, run: str
) -> Callable[[int], Callable[[int], tuple[str, str, str, dict[str, str]]]]:
    """Each thread reads the page once, as a browser does, then signs up a new address each time."""

    def prepare(n: int) -> Callable[[int], tuple[str, str, str, dict[str, str]]]:
        status, cookies, html = fetch(port, "GET", "/signup/", headers={"Accept-Language": "en"})
        assert status == 200 and "csrftoken" in cookies, status
        token, consent, topic = CSRF.search(html), CONSENT.search(html), TOPIC.search(html)
        assert token and consent and topic, "the sign-up page lacks its token, consent or topics"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
        }

        def make(i: int) -> tuple[str, str, str, dict[str, str]]:
            fields = {"csrfmiddlewaretoken": token[1], "consent": consent[1], "language": "en"}
            fields |= {"email": f"bench-{run}-{n}-{i}@example.com", "topics": topic[1]}
            return "POST", "/signup/", urlencode(fields), headers

        return make

    return prepare


def median_ratio(pages: list[float], floors: list[float]) -> float:
    return statistics.median(page / floor for page, floor in zip(pages, floors, strict=True))


def row(name: str, pages: list[float], floors: list[float], target: float) -> dict[str, object]:
    ratio = median_ratio(pages, floors)
    return {
        "name": name,
        "value": round(ratio, 3),
        "unit": "ratio to floor",
        "target": target,
        "met": ratio >= target,
        "rps": round(statistics.median(pages), 1),
        "floor_rps": round(statistics.median(floors), 1),
    }


def measure_gets(port: int) -> list[dict[str, object]]:
    pages = {f"GET /signup/ ({code})": ("/signup/", code) for code, _name in settings.LANGUAGES}
    pages["GET /preferences/ (link request, en)"] = ("/preferences/", "en")
    for name, (path, language) in pages.items():
        status, _cookies, html = fetch(port, "GET", path, headers={"Accept-Language": language})
        assert status == 200 and f'<html lang="{language}"' in html and CSRF.search(html), name
    floors: list[float] = []
    figures: dict[str, list[float]] = {name: [] for name in pages}
    for _round in range(ROUNDS):
        floors.append(wrk(port, FLOOR, "en"))
        for name, (path, language) in pages.items():
            figures[name].append(wrk(port, path, language))
    return [row(name, values, floors, GET_TARGET) for name, values in figures.items()]


def measure_post(port: int, database: str) -> dict[str, object]:
    floors, posts = Loop(), Loop()
    floor_figures: list[float] = []
    post_figures: list[float] = []
    for n in range(ROUNDS):
        floor_figures.append(floors.run(port, floor_request))
        post_figures.append(posts.run(port, signup_request(port, f"{os.getpid()}-{n}")))
    assert set(floors.statuses) == {200}, floors.statuses
    # 302 to "check your email": every sign-up was taken in.
    assert set(posts.statuses) == {302}, posts.statuses
    return row(f"POST /signup/ (valid sign-up, {database})", post_figures, floor_figures, POST_TARGET)


def table(rows: list[dict[str, object]]) -> str:
    lines = [f"{'page':<44}{'req/s':>10}{'floor req/s':>13}{'ratio':>8}{'goal':>8}  met"]
    for entry in rows:
        if entry["value"] is None:
            lines.append(f"{entry['name']:<44}{'not measured: ' + str(entry['note']):>40}")
            continue
        lines.append(
            f"{entry['name']:<44}{entry['rps']:>10}{entry['floor_rps']:>13}"
            f"{entry['value']:>8.0%}{entry['target']:>8.0%}  {'yes' if entry['met'] else 'NO'}"
        )
    return "\n".join(lines)


def test_pages_against_the_floor() -> None:
    rows: list[dict[str, object]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-page-floor-db-") as directory,
        site_server(f"sqlite:///{directory}/db.sqlite3") as site,
    ):
        rows += measure_gets(site.port)
        rows.append(measure_post(site.port, "SQLite"))
    postgres = os.environ.get("BENCH_DATABASE_URL", "")
    if postgres and postgres_reachable(postgres):
        with throwaway_postgres(postgres) as url, site_server(url) as site:
            rows.append(measure_post(site.port, "PostgreSQL"))
    else:
        note = f"no PostgreSQL answers at {postgres}" if postgres else "BENCH_DATABASE_URL is not set"
        rows.append(
            {"name": "POST /signup/ (valid sign-up, PostgreSQL)", "value": None, "unit": "ratio to floor"}
            | {"target": POST_TARGET, "met": False, "note": note}
        )
    print(f"\n== Pages against the floor (gunicorn, 2 workers, DEBUG off; {ROUNDS} rounds of {SECONDS} s)")
    print(table(rows))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    goal = (
        "Blank sign-up page GET >= 50% of a trivial view in every language; "
        "valid sign-up POST >= 30% on PostgreSQL"
    )
    OUT.write_text(json.dumps({"goal": goal, "rows": rows}, indent=2) + "\n")
    print(f"Figures written to {OUT.relative_to(ROOT)}")
