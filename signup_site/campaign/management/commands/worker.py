"""`manage.py worker`: the task worker that delivers the outbox.

It is django-tasks-db's `db_worker`, with the same options, that waits out
an outage of the database (connection refused or lost) instead of exiting:
see `signup_site.campaign.outage`. Production runs this one.
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from signup_site.campaign.outage import run_through_outages


class Command(DatabaseWorkerCommand):
    help = "Run the task worker (django-tasks-db's db_worker), waiting out database outages."
    # Some system checks connect to the database: run them inside the wait
    # (a configuration error still stops the worker at once).
    requires_system_checks = []

    def handle(self, *args: Any, **options: Any) -> None:
        def run() -> None:
            self.check()
            super(Command, self).handle(*args, **options)

        run_through_outages("task worker", run)
