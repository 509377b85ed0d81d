"""`manage.py rundev [addr:port]`: the development server, the task worker
and the outbox sweeper together, as `make run` starts them. Ctrl-C stops all."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the development web server and the task worker together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        commands = [
            [*manage, "runserver", options["addrport"]],
            [*manage, "worker", "--interval", "0.5", "--no-reload"],
            [*manage, "sweep_outbox", "--interval", "15"],
        ]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        # Handlers first: the children then start with SIGINT's default action
        # even where rundev inherited it ignored (a background job of a script).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # Each in a process group of its own, signalled as a group: the
        # autoreloader's child must stop too, however rundev itself is stopped.
        processes = [subprocess.Popen(command, start_new_session=True) for command in commands]
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.2)
        finally:
            for process in processes:  # a leader that has exited may leave its group behind
                _signal_group(process, signal.SIGINT)
            deadline = time.monotonic() + 10
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
        failed = [p.returncode for p in processes if p.returncode not in (0, -signal.SIGINT, 1)]
        if failed and not stopping:
            sys.exit(1)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
