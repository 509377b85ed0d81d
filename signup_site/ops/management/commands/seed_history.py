"""`manage.py seed_history --days 30 --seed 1 [--reset]`: a realistic month
for demos and tests (see `signup_site.ops.history`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from signup_site.campaign.config import BACKEND_ALIASES, campaign_config
from signup_site.ops.history import seed_history


class Command(BaseCommand):
    help = "Seed a deterministic history of sign-ups, confirmations, opt-outs, coupons and changes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="how many days, ending today (1 to 366)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same history")
        parser.add_argument("--reset", action="store_true", help="remove the history seeded before first")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days must be from 1 to 366")
        # Seeded changes still waiting would be delivered by the worker: never
        # to a real Campaign, only to the embedded one.
        if campaign_config().backend != BACKEND_ALIASES["local"]:
            raise CommandError("seed_history runs only with CAMPAIGN_BACKEND=local: it makes fake people")
        made = seed_history(options["days"], options["seed"], reset=options["reset"])
        if made:
            self.stdout.write(f"Seeded {made} sign-ups over {options['days']} days.")
        else:
            self.stdout.write(
                "A seeded history is already there: nothing changed (--reset to seed it again)."
            )
