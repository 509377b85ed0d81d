"""`manage.py worker`: the task worker that delivers the outbox.

It is django-tasks-db's `db_worker`, with the same options, that waits out
an outage of the database (connection refused or lost) instead of exiting:
see `signup_site.campaign.outage`. Production runs this one. `--slots N`
delivers N changes at once (default: OUTBOX_DELIVERY_SLOTS).
"""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from signup_site.campaign.config import forget
from signup_site.campaign.outage import run_through_outages


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("slots"):
            # This process's setting: the outbox reads it when it delivers.
            settings.OUTBOX_DELIVERY_SLOTS = options["slots"]
            forget()

        def run() -> None:
            self.check()
            super(Command, self).handle(*args, **options)

        run_through_outages("task worker", run)
