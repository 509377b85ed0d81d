"""`manage.py worker`: the task worker that delivers the outbox.

It is django-tasks-db's `db_worker`, with the same options, that waits out
an outage of the database (connection refused or lost) instead of exiting:
see `signup_site.campaign.outage`. Production runs this one. `--slots N`
delivers N changes at once (default: OUTBOX_DELIVERY_SLOTS); `--nice N`
runs it at CPU niceness N (default: OUTBOX_WORKER_NICE), so that on a
machine it shares with the web server, the pages come first.

`--processes P` (default: OUTBOX_WORKER_PROCESSES) runs P worker processes,
P x N slots in all: one process's slots share one interpreter lock, so past
some 100 changes a second a second process, not more slots, is what helps.
This process is the first; it starts the other P - 1 (`manage.py worker`
again, same options, by `subprocess`), starts again one that dies, and stops
them all when it stops (one whose first process is killed outright stops
itself): a SIGTERM or SIGINT reaches it through a wake-up
pipe (`signal.set_wakeup_fd`) while db_worker's own handler lets its task
finish, and is passed on to them at once. The processes share the work
through the task queue and the outbox's claims (`campaign.fanout`).
"""

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from argparse import SUPPRESS, ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from signup_site.campaign.config import forget
from signup_site.campaign.outage import run_through_outages

logger = logging.getLogger(__name__)


def _niceness(value: str) -> int:
    niceness = int(value)
    if not 0 <= niceness <= 19:
        raise ValueError(value)
    return niceness


def lower_priority(niceness: int) -> None:
    """Run this process at `niceness` at least (absolute, not added: a
    worker started by a worker stays at the same level). Never raises the
    priority, which needs privileges; a system that refuses is logged."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < niceness:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except OSError as exc:
        logger.warning("the worker's priority was left as it is: %s", exc)


# The signals that stop a worker (db_worker's own list).
STOPPING = {signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGQUIT", signal.SIGTERM)}
# How often the parent looks for a child that died.
WATCH_SECONDS = 1.0


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(DatabaseWorkerCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker), waiting out database outages; "
        "--processes P runs P of them, P x --slots changes delivered at once."
    )
    # Some system checks connect to the database: run them inside the wait
    # (a configuration error still stops the worker at once).
    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--slots",
            type=_at_least_one,
            help="changes delivered at once by each process, each slot a thread with its own "
            "database connection (default: OUTBOX_DELIVERY_SLOTS)",
        )
        parser.add_argument(
            "--nice",
            type=_niceness,
            help="CPU niceness, 0 to 19: higher yields the CPU to the web server on a shared machine "
            "(default: OUTBOX_WORKER_NICE)",
        )
        parser.add_argument(
            "--processes",
            type=_at_least_one,
            help="worker processes to run, this one and P - 1 it starts and keeps running; "
            "changes delivered at once in all: processes x slots (default: OUTBOX_WORKER_PROCESSES)",
        )
        # Given to the processes this one starts: each stops when it is gone.
        parser.add_argument("--parent-pid", type=int, help=SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        nice = options.get("nice")
        lower_priority(settings.OUTBOX_WORKER_NICE if nice is None else nice)
        if options.get("slots"):
            # This process's setting: the outbox reads it when it delivers.
            settings.OUTBOX_DELIVERY_SLOTS = options["slots"]
            forget()
        processes = options.get("processes") or settings.OUTBOX_WORKER_PROCESSES
        if options.get("parent_pid"):
            _stop_when_orphaned(options["parent_pid"])

        def run() -> None:
            self.check()
            super(Command, self).handle(*args, **options)

        # With --reload, the process that only watches the code starts none:
        # the one it runs (and runs again after a change) starts them.
        reloader = (
            options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if processes == 1 or reloader:
            run_through_outages("task worker", run)
            return
        with _other_processes(_child_commands(processes, options), keep_exits=options["batch"]):
            run_through_outages("task worker", run)


def _child_commands(processes: int, options: dict[str, Any]) -> list[list[str]]:
    """The command lines of processes 2..P: this one's options but
    `--processes`; each its own worker id (db_worker's must be unique)."""
    common = [
        f"--verbosity={options['verbosity']}",
        f"--queue-name={options['queue_name']}",
        f"--interval={options['interval']}",
        f"--backend={options['backend_name']}",
        "--no-reload",  # this process's reloader restarts them all
        # One each, whatever OUTBOX_WORKER_PROCESSES says: else each would start more.
        "--processes=1",
        f"--parent-pid={os.getpid()}",
    ]
    for name in ("exclude_queues", "max_tasks", "slots", "settings", "pythonpath"):
        if options.get(name):
            common.append(f"--{name.replace('_', '-')}={options[name]}")
    if options.get("nice") is not None:  # 0 too: "as the web server"
        common.append(f"--nice={options['nice']}")
    for flag, wanted in (("--batch", options["batch"]), ("--no-startup-delay", not options["startup_delay"])):
        if wanted:
            common.append(flag)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    return [
        [sys.executable, manage, "worker", *common, f"--worker-id={options['worker_id'][:60]}-{number}"]
        for number in range(2, processes + 1)
    ]


@contextmanager
def _other_processes(commands: list[list[str]], *, keep_exits: bool) -> Iterator[None]:
    """Run `commands` beside the body, each started again when it exits
    (unless `keep_exits` and it exited cleanly: a --batch worker that is
    done); a stopping signal to this process is passed on to them at once,
    and they are stopped, and waited for, when the body ends."""
    for number in STOPPING - {signal.SIGINT}:
        # Until db_worker sets its own handlers (after the checks, or a
        # database outage, have been waited out), the default would end this
        # process at once and leave the others running.
        if signal.getsignal(number) == signal.SIG_DFL:
            signal.signal(number, _exit)
    children = [_start(command) for command in commands]
    stop = threading.Event()
    signals, wake_up = socket.socketpair()
    for end in (signals, wake_up):
        end.setblocking(False)
    previous = signal.set_wakeup_fd(wake_up.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([signals], [], [], WATCH_SECONDS)
            if ready and STOPPING & set(_received(signals)):
                stop.set()
                _signal_all(children, signal.SIGTERM)
                return
            for index, child in enumerate(children):
                code = child.poll()
                if code is None or stop.is_set() or (keep_exits and code == 0):
                    continue
                logger.error("worker process %s exited with %s: starting it again", child.pid, code)
                children[index] = _start(commands[index])

    watcher = threading.Thread(target=watch, name="worker processes", daemon=True)
    watcher.start()
    try:
        yield
        while keep_exits and not _all_exited(children):  # --batch: the others finish theirs too
            time.sleep(WATCH_SECONDS / 10)
    finally:
        stop.set()
        watcher.join()
        signal.set_wakeup_fd(previous)
        signals.close()
        wake_up.close()
        _signal_all(children, signal.SIGTERM)
        try:
            for child in children:
                child.wait()
        except BaseException:
            # A second signal while they finish their tasks: as db_worker does, stop at once.
            _signal_all(children, signal.SIGKILL)
            raise


def _stop_when_orphaned(parent: int) -> None:
    """Stop this process, as a SIGTERM would, once `parent` is gone (killed
    with no chance to stop it: SIGKILL, out of memory)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        logger.warning("the first worker process is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent worker process", daemon=True).start()


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(command)  # noqa: S603 - our own interpreter and manage.py
    logger.info("worker process %s started", child.pid)
    return child


def _received(signals: socket.socket) -> list[int]:
    try:
        return list(signals.recv(64))
    except BlockingIOError:
        return []


def _signal_all(children: list[subprocess.Popen[bytes]], number: int) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(number)


def _all_exited(children: list[subprocess.Popen[bytes]]) -> bool:
    return all(child.poll() is not None for child in children)


def _exit(number: int, frame: FrameType | None) -> None:
    sys.exit(128 + number)
