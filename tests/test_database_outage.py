"""Our own database down: the worker and the sweeper wait it out and carry on;
the pages answer 503 with Retry-After (not 500); /healthz says the database
is the dependency that is down. Each process is started for real, against a
database URL that fails until the test restores it."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.test import Client
from django.utils import timezone

from signup_site.campaign.models import Change, Subscriber, Topic
from tests.database_outage import Outage
from tests.helpers import sign_up, wait_until
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parent.parent


class Process:
    """A manage.py (or gunicorn) process with its output collected as it comes."""

    def __init__(self, command: list[str], database_url: str) -> None:
        environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
        environment.pop("DJANGO_DEBUG", None)
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.output.append(line)

    def said(self, text: str) -> int:
        return sum(text in line for line in self.output)

    def stop(self) -> int:
        self.popen.terminate()
        try:
            return self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "manage.py", *arguments]


def test_the_worker_waits_out_a_database_outage_then_delivers(
    database_outage: Outage, processes: list[Process], client: Client, seeded: None
) -> None:
    worker = Process(
        manage("worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"), database_outage.url
    )
    processes.append(worker)
    wait_until(
        lambda: worker.said("database unavailable") >= 2, "the worker to retry the database", timeout=30
    )
    assert worker.popen.poll() is None, "".join(worker.output)

    sign_up(
        client, "outage@example.com", Topic.objects.get(slug="newsletter")
    )  # queues the confirmation email
    database_outage.restore()
    wait_until(
        lambda: Change.objects.filter(status=Change.Status.DONE).exists(),
        "the worker to deliver once the database is back",
        timeout=60,
    )
    assert worker.popen.poll() is None
    assert worker.stop() == 0


def test_the_sweeper_waits_out_a_database_outage_then_sweeps(
    database_outage: Outage, processes: list[Process], seeded: None
) -> None:
    subscriber = Subscriber.objects.create(email="stale@example.com", person_key="stale@example.com")
    stale = Change.objects.create(
        subscriber=subscriber,
        kind=Change.Kind.SUBSCRIBE,
        payload={"service": "NEWSLETTER"},
        status=Change.Status.IN_PROGRESS,
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    sweeper = Process(manage("sweep_outbox", "--interval", "0.2"), database_outage.url)
    processes.append(sweeper)
    wait_until(
        lambda: sweeper.said("database unavailable") >= 2, "the sweeper to retry the database", timeout=30
    )
    assert sweeper.popen.poll() is None, "".join(sweeper.output)

    database_outage.restore()
    wait_until(
        lambda: Change.objects.get(pk=stale.pk).status == Change.Status.PENDING,
        "the sweeper to put back the dead worker's claim",
        timeout=60,
    )
    assert sweeper.stop() == 0


def test_pages_answer_503_with_retry_after_and_healthz_names_the_database(
    database_outage: Outage, processes: list[Process], seeded: None
) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    web = Process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "signup_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        database_outage.url,
    )
    processes.append(web)

    def answers() -> bool:
        try:
            requests.get(f"{site}/healthz", timeout=5)
        except requests.ConnectionError:
            return False
        return True

    wait_until(answers, "gunicorn to serve", timeout=30)

    page = requests.get(f"{site}/signup/", timeout=10, headers={"Accept-Language": "es"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert "No estamos disponibles por un momento" in page.text
    posted = requests.post(f"{site}/signup/", data={"email": "x@example.com"}, timeout=10)
    assert posted.status_code in (403, 503)  # CSRF refuses first when it can; never a 500
    health = requests.get(f"{site}/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["database"] == "unreachable"

    database_outage.restore()
    assert wait_until(
        lambda: requests.get(f"{site}/signup/", timeout=10).status_code == 200,
        "the pages to work again without a restart",
        timeout=30,
    )
    assert requests.get(f"{site}/healthz", timeout=10).json()["database"] == "ok"
