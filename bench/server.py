"""The site as production runs it, for the benches that measure it over HTTP
(bench/test_page_floor.py, bench/test_burst.py): gunicorn (2 workers, or
gunicorn.conf.py's number), DEBUG off, hashed static files served by WhiteNoise, a database migrated and
seeded in a temporary directory (or a throwaway PostgreSQL database), the
abuse limits lifted (every request comes from 127.0.0.1).
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "/bench/floor"


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


@dataclass(frozen=True)
class Served:
    """A running site: its port, and the environment its commands run in
    (the same database, secret key and settings as the server's)."""

    port: int
    env: dict[str, str]

    def manage(self, *command: str, **options: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own command line)
            [sys.executable, str(ROOT / "manage.py"), *command],
            cwd=ROOT,
            env=self.env,
            check=True,
            text=True,
            **options,  # type: ignore[call-overload]
        )


@contextmanager
def site_server(
    database_url: str,
    extra: dict[str, str] | None = None,
    prepare: Callable[[Served], None] | None = None,
    workers: int | None = 2,
) -> Iterator[Served]:
    """gunicorn serving the site on a free port, over a migrated, seeded
    database; `extra` settings beside the bench's, `prepare` run on the
    database before the server starts; `workers` gunicorn workers (None:
    as gunicorn.conf.py, production's settings, says)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as workdir:
        site = Served(port, site_environment(database_url, port, Path(workdir) / "static") | (extra or {}))
        for command in (["migrate", "--no-input"], ["createcachetable"], ["collectstatic", "--no-input"]):
            site.manage(*command, "-v", "0")
        if prepare is not None:
            prepare(site)
        gunicorn = [sys.executable, "-m", "gunicorn", "signup_site.wsgi:application"]
        gunicorn += ["--workers", str(workers)] if workers else []
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
            cwd=ROOT,
            env=site.env,
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
            yield site
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
