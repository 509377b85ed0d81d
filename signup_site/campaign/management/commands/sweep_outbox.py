"""`manage.py sweep_outbox`: run beside the task workers (one is enough;
more are harmless). See `signup_site.campaign.outbox.sweep`."""

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from signup_site.campaign.optdown import sweep_pauses
from signup_site.campaign.outage import DATABASE_OUTAGE, Backoff
from signup_site.campaign.outbox import sweep
from signup_site.campaign.privacy import sweep_evidence


class Command(BaseCommand):
    # Some system checks connect to the database: run them inside the wait.
    requires_system_checks = []
    help = (
        "Re-queue outbox changes whose worker died, wake a worker when changes are due, and delete"
        " erased people's consent evidence past PRIVACY_EVIDENCE_RETENTION_DAYS, and remind and resume"
        " paused people when their pause ends."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="sweep once and exit (for cron)")

    def handle(self, *args: Any, **options: Any) -> None:
        running = True

        def stop(signum: int, frame: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        backoff = Backoff()
        checked = False
        while True:
            close_old_connections()
            try:
                if not checked:
                    self.check()
                    checked = True
                due = sweep()
                # Consent evidence of erased people, past its retention.
                sweep_evidence()
                # Pauses ending: their reminder email, then their resumption.
                sweep_pauses()
            except DATABASE_OUTAGE as error:
                # Wait the database out rather than exit: nothing else puts
                # back the changes of a worker that died meanwhile.
                if options["once"]:
                    raise
                if not backoff.wait("outbox sweeper", error):
                    return
                continue
            backoff.reset()
            if options["verbosity"] > 1:
                self.stdout.write(f"{due} changes due")
            if options["once"]:
                return
            deadline = time.monotonic() + options["interval"]
            while running and time.monotonic() < deadline:
                time.sleep(0.2)
            if not running:
                return
