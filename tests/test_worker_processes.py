"""Several worker processes share the outbox: a drain the task starts calls
in another process when its backlog is more than its slots take on at once
(`outbox._spread_wake_up`), and `manage.py worker --processes P` runs P of
them, restarts one that dies, and takes them all down when it stops.

The first tests run the task in this process against the database task
backend (the suite's); the last start real worker processes against the
test database, so those need PostgreSQL (several processes share it) and
Campaign is the ACS emulator of pytest-django's live server, answering
slowly enough that one process cannot take the backlog alone.
"""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from signup_site.campaign import outbox
from signup_site.campaign.addresses import person_key
from signup_site.campaign.management.commands.worker import _child_commands
from signup_site.campaign.models import Change, Subscriber
from tests.acs_support import (
    Emulator,
    use_acs_emulator,
)
from tests.test_durability import worker_env as durability_worker_env

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
DELIVER_CHANGES = outbox.deliver_changes.module_path
# Long enough for any machine; only reached when the code under test is wrong.
SAFETY_NET_SECONDS = 120


def backlog(people: int, changes_each: int = 2, prefix: str = "p") -> None:
    """`people` people's changes recorded in one transaction: one wake-up."""
    with transaction.atomic():
        for number in range(people):
            email = f"{prefix}{number}@example.com"
            subscriber = Subscriber.objects.create(
                email=email, person_key=person_key(email), status=Subscriber.Status.CONFIRMED
            )
            for step in range(changes_each):
                outbox.record(
                    subscriber,
                    Change.Kind.SEND_MESSAGE,
                    message="welcome",
                    email=email,
                    context={"step": str(step)},
                )


def waiting_wake_ups() -> int:
    return DBTaskResult.objects.ready().filter(task_path=DELIVER_CHANGES).count()


@pytest.fixture
def delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Campaign's side stubbed out: every change is delivered at once."""
    monkeypatch.setattr(outbox.delivery, "apply", lambda change: None)


def test_a_drain_with_more_due_than_its_slots_calls_in_another_process(
    delivered: None, settings: Any
) -> None:
    settings.OUTBOX_DELIVERY_SLOTS = 2
    backlog(3)  # six changes, one wake-up
    DBTaskResult.objects.all().delete()  # as if a worker process had taken it

    outbox.deliver_changes.call()

    assert waiting_wake_ups() == 1
    assert not Change.objects.filter(status__in=Change.UNFINISHED).exists()


def test_no_second_wake_up_while_one_is_waiting_to_be_taken(delivered: None, settings: Any) -> None:
    settings.OUTBOX_DELIVERY_SLOTS = 2
    backlog(3)  # its wake-up is still waiting: the next process is called in already

    outbox.deliver_changes.call()

    assert waiting_wake_ups() == 1


def test_no_wake_up_when_the_slots_take_all_that_is_due(delivered: None, settings: Any) -> None:
    settings.OUTBOX_DELIVERY_SLOTS = 4
    backlog(2)  # four changes
    DBTaskResult.objects.all().delete()

    outbox.deliver_changes.call()

    assert waiting_wake_ups() == 0


def test_with_the_immediate_backend_a_drain_calls_in_no_one(
    delivered: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # There the wake-up would run inside this drain, and call in another, and so on.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.OUTBOX_DELIVERY_SLOTS = 1
    drains = []
    deliver_all = outbox.deliver_all

    def counted(**options: Any) -> int:
        drains.append(1)
        return deliver_all(**options)

    monkeypatch.setattr(outbox, "deliver_all", counted)
    backlog(3, 1)  # the one wake-up runs as the transaction commits
    assert len(drains) == 1

    outbox.deliver_changes.call()

    assert len(drains) == 2
    assert not Change.objects.filter(status__in=Change.UNFINISHED).exists()


def test_the_other_processes_get_the_same_options_but_processes_and_worker_ids_of_their_own() -> None:
    options = {
        "verbosity": 1,
        "queue_name": "default",
        "interval": 0.5,
        "backend_name": "default",
        "exclude_queues": "",
        "max_tasks": None,
        "slots": 8,
        "settings": None,
        "pythonpath": None,
        "batch": True,
        "startup_delay": False,
        "worker_id": "w" * 64,
        "processes": 3,
        "nice": 0,
    }

    commands = _child_commands(3, options)

    assert len(commands) == 2
    for number, command in enumerate(commands, start=2):
        assert command[:3] == [sys.executable, str(ROOT / "manage.py"), "worker"]
        assert "--slots=8" in command and "--batch" in command and "--no-startup-delay" in command
        assert "--no-reload" in command and "--interval=0.5" in command
        assert "--processes=1" in command  # else each would start more, OUTBOX_WORKER_PROCESSES of them
        assert "--nice=0" in command  # the level asked of the first, not the setting's
        assert f"--parent-pid={os.getpid()}" in command
        assert command[-1] == f"--worker-id={'w' * 60}-{number}"


def test_the_worker_refuses_fewer_than_one_process() -> None:
    with pytest.raises(CommandError):
        call_command("worker", "--processes", "0")


# Real worker processes from here on.


@pytest.fixture
def slow_campaign(live_server: Any, settings: Any) -> Emulator:
    if connection.vendor != "postgresql":
        pytest.skip("several worker processes share PostgreSQL; SQLite is for one machine")
    emulator = use_acs_emulator(live_server, settings)
    # One process with one slot takes 40 changes in 8 s: time for the other to join.
    emulator.knobs(latency=0.2)
    return emulator


def worker_env(live_server: Any) -> dict[str, str]:
    return durability_worker_env(live_server, PYTHONUNBUFFERED="1")


ONE_SLOT_EACH = ["--slots", "1", "--interval", "0.1", "--no-reload", "--no-startup-delay"]


class Workers:
    """`manage.py worker --slots 1` (and `options`), its output read as it comes."""

    def __init__(self, env: dict[str, str], options: list[str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "manage.py", "worker", *ONE_SLOT_EACH, *options],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, times: int = 1) -> None:
        """Until `text` has appeared in `times` lines of the output."""
        deadline = time.monotonic() + SAFETY_NET_SECONDS
        while sum(text in line for line in self.output) < times:
            try:
                self.output.append(self.lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no {text!r} x {times}:\n{''.join(self.output)}") from None

    def children(self) -> set[int]:
        """The worker processes this one started."""
        return children_of(self.popen.pid)


def children_of(parent: int) -> set[int]:
    """Linux's /proc: the processes whose parent is `parent`."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.add(int(entry.name))
    return found


@contextmanager
def worker_processes(
    live_server: Any, options: tuple[str, ...] = ("--processes", "2"), **env: str
) -> Iterator[Workers]:
    workers = Workers(worker_env(live_server) | env, list(options))
    try:
        yield workers
    finally:
        if workers.popen.poll() is None:
            workers.popen.kill()
            workers.popen.wait()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + SAFETY_NET_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_two_worker_processes_share_a_backlog_recorded_in_one_transaction(
    slow_campaign: Emulator, live_server: Any
) -> None:
    with worker_processes(live_server) as workers:
        workers.wait_for("Starting worker", times=2)  # both up and idle
        backlog(20)  # 40 changes, one wake-up

        wait_until(
            lambda: not Change.objects.filter(status__in=Change.UNFINISHED).exists(),
            f"not delivered; {Change.objects.filter(status=Change.Status.DONE).count()} of 40",
        )

        assert Change.objects.filter(status=Change.Status.DONE).count() == 40
        steps: dict[str, list[str]] = {}
        for event in slow_campaign.events():
            steps.setdefault(event["email"], []).append(str(event["ctx"]["step"]))
        assert len(steps) == 20
        assert all(each == ["0", "1"] for each in steps.values()), steps
        finished = DBTaskResult.objects.successful().filter(task_path=DELIVER_CHANGES)
        workers_that_drained = {worker for task in finished for worker in task.worker_ids}
        assert len(workers_that_drained) >= 2, workers_that_drained


def test_sigterm_to_the_first_process_stops_the_others_too(slow_campaign: Emulator, live_server: Any) -> None:
    # The setting this time: the process it starts must not start more.
    with worker_processes(live_server, (), OUTBOX_WORKER_PROCESSES="2") as workers:
        workers.wait_for("Starting worker", times=2)
        children = workers.children()
        assert len(children) == 1
        assert [children_of(child) for child in children] == [set()]

        workers.popen.send_signal(signal.SIGTERM)
        workers.popen.wait(timeout=SAFETY_NET_SECONDS)

        assert [pid for pid in children if alive(pid)] == []


def test_the_others_stop_when_the_first_process_is_killed_outright(
    slow_campaign: Emulator, live_server: Any
) -> None:
    with worker_processes(live_server) as workers:
        workers.wait_for("Starting worker", times=2)
        (child,) = workers.children()

        workers.popen.kill()  # SIGKILL: no chance to stop its children
        workers.popen.wait()

        wait_until(lambda: not alive(child), "the other worker process outlived the first")


def test_a_worker_process_that_dies_is_started_again(slow_campaign: Emulator, live_server: Any) -> None:
    with worker_processes(live_server) as workers:
        workers.wait_for("Starting worker", times=2)
        (child,) = workers.children()

        os.kill(child, signal.SIGKILL)

        workers.wait_for("Starting worker", times=3)
        assert workers.children() - {child}
        workers.popen.send_signal(signal.SIGTERM)
        workers.popen.wait(timeout=SAFETY_NET_SECONDS)
