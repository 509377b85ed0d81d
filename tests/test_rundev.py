"""`make run`'s process manager: the web server, the task worker and the
sweeper start together, and stopping rundev stops all of them, including
runserver's autoreloader child (a process rundev never started itself)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import database_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parents() -> dict[int, int]:
    """Every live process's parent, from Linux's /proc (zombies excluded)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                found[int(entry.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    tree = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in tree.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return pids & set(parents())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("stop", "background"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "sigterm", "sigterm-to-a-background-job"],
)
def test_stopping_rundev_stops_every_process_it_started(stop: signal.Signals, background: bool) -> None:
    """`background`: started as `make run &` from a script is, with SIGINT
    ignored, a disposition its children would inherit."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_DEBUG": "true", "DATABASE_URL": database_url(), "CAMPAIGN_BACKEND": "local"}
    rundev = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if background else None,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while True:
            assert rundev.poll() is None, "rundev exited on its own"
            try:
                if requests.get(f"http://{address}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the web server never answered"
            time.sleep(0.2)
        # runserver, its autoreloader child, db_worker and sweep_outbox.
        started = descendants(rundev.pid)
        assert len(started) >= 4

        rundev.send_signal(stop)
        rundev.wait(timeout=30)
        deadline = time.monotonic() + 15
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert alive(started) == set(), "processes outlived rundev"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{address}/healthz", timeout=2)
    finally:
        for pid in alive(started | {rundev.pid}):  # never leave a server behind
            os.kill(pid, signal.SIGKILL)


def test_make_run_on_another_port_emails_links_to_that_port() -> None:
    """`make run PORT=8100` serves on 8100, so emailed links must point there."""
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", "PORT=8100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    serve = next(line for line in plan.splitlines() if "manage.py rundev" in line)
    assert "127.0.0.1:8100" in serve
    # The line's environment prefix, as the shell would expand it with
    # SITE_URL unset, then the command swapped for printenv.
    prefix = serve.split(" .venv/bin/python", 1)[0].lstrip("@")
    env = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    shown = subprocess.run(
        ["sh", "-c", f"{prefix} printenv SITE_URL"], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "http://127.0.0.1:8100"
