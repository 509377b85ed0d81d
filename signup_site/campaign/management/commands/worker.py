"""`manage.py worker`: the task worker that delivers the outbox.

It is django-tasks-db's `db_worker`, with the same options, that waits out
an outage of the database (connection refused or lost) instead of exiting:
see `signup_site.campaign.outage`. Production runs this one. `--slots N`
delivers N changes at once (default: OUTBOX_DELIVERY_SLOTS); `--nice N`
runs it at CPU niceness N (default: OUTBOX_WORKER_NICE), so that on a
machine it shares with the web server, the pages come first.
"""

import logging
import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
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


def _slots(value: str) -> int:
    slots = int(value)
    if slots < 1:
        raise ValueError(value)
    return slots


class Command(DatabaseWorkerCommand):
    help = "Run the task worker (django-tasks-db's db_worker), waiting out database outages."
    # Some system checks connect to the database: run them inside the wait
    # (a configuration error still stops the worker at once).
    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--slots",
            type=_slots,
            help="changes delivered at once, each slot a thread with its own database connection "
            "(default: OUTBOX_DELIVERY_SLOTS)",
        )
        parser.add_argument(
            "--nice",
            type=_niceness,
            help="CPU niceness, 0 to 19: higher yields the CPU to the web server on a shared machine "
            "(default: OUTBOX_WORKER_NICE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        nice = options.get("nice")
        lower_priority(settings.OUTBOX_WORKER_NICE if nice is None else nice)
        if options.get("slots"):
            # This process's setting: the outbox reads it when it delivers.
            settings.OUTBOX_DELIVERY_SLOTS = options["slots"]
            forget()

        def run() -> None:
            self.check()
            super(Command, self).handle(*args, **options)

        run_through_outages("task worker", run)
