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

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench" / "page_floor.json"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
THREADS = 4
GET_TARGET, POST_TARGET = 0.50, 0.30
FLOOR = "/bench/floor"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONSENT = re.compile(r'name="consent" value="([^"]+)"')
TOPIC = re.compile(r'name="topics" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_environment(database_url: str, port: int, static_root: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "LIMIT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_MANIFEST="true",
        BENCH_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        # As a production server keeps them: a connection per request would
        # measure PostgreSQL's handshake, not the page.
        DATABASE_CONN_MAX_AGE="60",
        SITE_URL=f"http://127.0.0.1:{port}",
        CAMPAIGN_BACKEND="local",
        BRAND_POSTAL_ADDRESS="1 Bench Street",  # else every command warns of CAN-SPAM
        # One client signs up thousands of addresses: the abuse limits aside.
        LIMIT_IP_PER_HOUR="100000000",
        LIMIT_IP_UNPROVEN_PER_HOUR="100000000",
        LIMIT_NETWORK_PER_HOUR="100000000",
        LIMIT_MAILBOX_PER_DAY="100000000",
        LIMIT_GLOBAL_PER_HOUR="100000000",
        LIMIT_GLOBAL_UNPROVEN_PER_HOUR="100000000",
        SIGNUP_EMAILS_PER_HOUR="100000000",
    )
    return env


def fetch(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return response.status, cookies, response.read().decode()
    finally:
        connection.close()


@contextmanager
def site_server(database_url: str) -> Iterator[int]:
    """gunicorn serving the site on a free port, over a migrated, seeded database."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-page-floor-") as workdir:
        env = site_environment(database_url, port, Path(workdir) / "static")
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--no-input"], ["createcachetable"], ["collectstatic", "--no-input"]):
            subprocess.run([*manage, *command, "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        gunicorn = [sys.executable, "-m", "gunicorn", "signup_site.wsgi:application", "--workers", "2"]
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                with suppress(OSError):
                    if fetch(port, "GET", FLOOR)[0] == 200:
                        break
                assert server.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer within a minute"
                time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def throwaway_postgres(url: str) -> Iterator[str]:
    """A database of its own on the server `url` names, dropped afterwards."""
    import psycopg

    parts = urlsplit(url)
    name = f"{(parts.path.strip('/') or 'bench')}_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_reachable(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), connect_timeout=3).close()
    except Exception:  # any failure means: not measured, and the table says so
        return False
    return True


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
        site_server(f"sqlite:///{directory}/db.sqlite3") as port,
    ):
        rows += measure_gets(port)
        rows.append(measure_post(port, "SQLite"))
    postgres = os.environ.get("BENCH_DATABASE_URL", "")
    if postgres and postgres_reachable(postgres):
        with throwaway_postgres(postgres) as url, site_server(url) as port:
            rows.append(measure_post(port, "PostgreSQL"))
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
