"""What every bench module shares: where its figures go (`var/bench/<name>.json`,
in one shape that `bench/report.py` combines), percentiles, the floor view,
the ACS emulator and the worker, each in a process of its own, and the CPU
each process spent.

The shape: `{"goal": "...", "rows": [{"name", "value", "unit", "target", "met"}]}`;
`target` and `met` are null where a figure has no target (it is reported,
not judged).
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from bench.server import ROOT, free_port
from signup_site.campaign.models import PendingSignup

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def row(
    name: str, value: float, unit: str, target: str | None = None, met: bool | None = None
) -> dict[str, Any]:
    return {"name": name, "value": round(value, 3), "unit": unit, "target": target, "met": met}


def write_figures(name: str, goal: str, rows: list[dict[str, Any]], **extra: Any) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    target = BENCH_DIR / f"{name}.json"
    target.write_text(json.dumps({"goal": goal, "rows": rows, **extra}, indent=2) + "\n")
    return target


def cpu_seconds(classify: Callable[[int, str], str | None]) -> dict[str, float]:
    """The CPU time (user + system, seconds) every running process has used
    so far, summed by the role `classify(pid, command line)` names (None: not
    counted), read from /proc: what a bench's processes spent, side by side."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        role = classify(int(entry.name), command)
        if role is not None:
            # Fields after the command's ")": utime and stime are the 12th and 13th.
            fields = stat.rsplit(")", 1)[1].split()
            used[role] = used.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def floor(request: HttpRequest) -> HttpResponse:
    """The trivial view: the site's whole middleware stack, no work."""
    return HttpResponse("ok", content_type="text/plain")


# bench/urls: the site's URLs and the floor view beside them (ROOT_URLCONF = "bench.figures").
urlpatterns = [path("bench/floor", floor), path("", include("signup_site.urls"))]


class Site:
    """What `use_acs_emulator` needs of a live server: its URL."""

    def __init__(self, url: str) -> None:
        self.url = url


@contextmanager
def emulator_process(threads: int = 64) -> Iterator[Site]:
    """The emulators served by gunicorn in a process of their own, so that
    their work does not share this process's interpreter lock with the site
    and the worker under test. State in memory, one worker process."""
    from tests.acs_support import CLIENT_ID, CLIENT_SECRET, ORGANIZATION, TRANSACTIONAL_API

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "CAMPAIGN_EMULATOR": "true",
        "DATABASE_URL": f"sqlite:///{BENCH_DIR / 'emulator.sqlite3'}",
        "EMULATOR_IMS_CLIENTS": f"{CLIENT_ID}:{CLIENT_SECRET}",
        "EMULATOR_ACS_ORGANIZATION": ORGANIZATION,
        "EMULATOR_ACS_TRANSACTIONAL_API": TRANSACTIONAL_API,
        "EMULATOR_ACS_SEND_MAIL": "false",
        # Every call of a burst counted, not the default's newest 5,000.
        "EMULATOR_JOURNAL_ENTRIES": "500000",
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "signup_site.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-k",
            "gthread",
            "-w",
            "1",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its 503s and 429s are the point, not news
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/emulator/acs/_control/knobs", timeout=5).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield Site(url)
    finally:
        server.terminate()
        server.wait(timeout=30)


def acs_settings(emulator_url: str) -> dict[str, str]:
    """The settings that point a process of the site at the ACS emulator at `emulator_url`."""
    from tests.acs_support import CLIENT_ID, CLIENT_SECRET, EVENTS, ORGANIZATION, TRANSACTIONAL_API

    return {
        "CAMPAIGN_BACKEND": "acs",
        "ACS_API_URL": f"{emulator_url}/emulator/acs",
        "ACS_IMS_URL": f"{emulator_url}/emulator",
        "ACS_ORGANIZATION": ORGANIZATION,
        "ACS_TRANSACTIONAL_API": TRANSACTIONAL_API,
        "ACS_CLIENT_ID": CLIENT_ID,
        "ACS_CLIENT_SECRET": CLIENT_SECRET,
        "ACS_EVENTS": EVENTS,
        # The site's own emails (the confirmation request) are built and
        # dropped: the console backend would have the worker print thousands.
        "EMAIL_URL": "dummy://",
    }


@contextmanager
def worker_process(env: dict[str, str], slots: int, log: Path) -> Iterator[None]:
    """`manage.py worker --slots N` in a process of its own, as production
    runs it (at the worker's own niceness), in `env` (its database and
    settings); its output to `log`. Stopped at the end: asked, then, after a
    minute, killed."""
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, str(ROOT / "manage.py"), "worker", "--slots", str(slots)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # It finishes its drain before it stops (db_worker lets a task
                # finish), and a drain of changes that keep failing and coming
                # due again can outlast that; the figures are taken by now.
                process.kill()
                process.wait()


def taken_in(email: str) -> PendingSignup:
    """The worker's first step for this sign-up (it has no deadline here but the bench's)."""
    for _ in range(6000):
        found = PendingSignup.objects.filter(subscriber__email=email).first()
        if found is not None:
            return found
        time.sleep(0.01)
    raise AssertionError(f"the worker never took in {email}")
