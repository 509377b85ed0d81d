"""`make bench`: floods at the emailing forms, with the default limits, and
what they cause. Each scenario fires its requests through the test client
(the whole Django stack, the database holding the counters), then runs
the worker and counts the mail delivered (`mail.outbox`).

- 200 sign-ups from one client without proof of work (a bot without JavaScript);
- 40 sign-ups from one client, each with a real solved ALTCHA challenge at the
  default cost (solving them is the attacker's cost: the seconds are printed);
- 200 `victim+N@` aliases of one mailbox, each from a different network;
- 30 email changes to one victim from one preferences session.

Prints requests sent, 429s and emails caused; asserts nothing about time.
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from bench.figures import row, write_figures
from signup_site.campaign.models import Topic
from tests.abuse import post_signup, solved_proof
from tests.helpers import confirm_latest, html_of, link_in, run_worker, shown_in, sign_up

pytestmark = pytest.mark.django_db


FLOODS: dict[str, list[dict[str, Any]]] = {}


def report(name: str, statuses: list[int], emails: int, extra: str = "") -> None:
    FLOODS[name] = [
        row(f"{name}: requests", len(statuses), "requests"),
        row(f"{name}: refused 429", statuses.count(429), "requests"),
        row(f"{name}: emails caused", emails, "emails"),
    ]
    write_figures(
        "flood",
        "Floods at the emailing forms with the default limits: what reaches an inbox",
        [item for rows in FLOODS.values() for item in rows],
    )
    print(
        f"\n{name:<44} requests {len(statuses):>4}  accepted {statuses.count(302) + statuses.count(303):>4}  "
        f"429s {statuses.count(429):>4}  emails {emails:>4}{extra}"
    )


def caused(client_requests: Callable[[], list[int]], to: str) -> tuple[list[int], int]:
    before = len(mail.outbox)
    statuses = client_requests()
    run_worker()
    return statuses, sum(1 for m in mail.outbox[before:] if any(to in r for r in m.to))


def test_flood_from_one_client_without_proof(client: Client, newsletter: Topic) -> None:
    statuses, emails = caused(
        lambda: [post_signup(client, f"p{n}@example.com", newsletter) for n in range(200)], "@example.com"
    )
    report("200 sign-ups, one client, no proof", statuses, emails)


def test_flood_from_one_client_with_proof(client: Client, newsletter: Topic) -> None:
    started = time.perf_counter()
    proofs = [solved_proof(client) for _ in range(40)]
    solving = time.perf_counter() - started
    statuses, emails = caused(
        lambda: [post_signup(client, f"s{n}@example.com", newsletter, proof=p) for n, p in enumerate(proofs)],
        "@example.com",
    )
    extra = f"  (solving 40 took {solving:.0f} s, cost {settings.ALTCHA_COST})"
    report("40 sign-ups, one client, each proof solved", statuses, emails, extra)


def test_flood_of_aliases_of_one_mailbox(client: Client, newsletter: Topic) -> None:
    statuses, emails = caused(
        lambda: [
            post_signup(client, f"victim+{n}@example.com", newsletter, ip=f"10.{n}.0.1") for n in range(200)
        ],
        "victim",
    )
    report("200 victim+N@ aliases, 200 networks", statuses, emails)


def test_flood_of_email_changes_to_one_victim(client: Client, newsletter: Topic) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    confirm_latest(client)
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    page = html_of(client.get("/preferences/edit/"))
    data = {"shown": shown_in(page), "first_name": "Jane", "email": "victim@example.org", "language": "en"}
    data["topics"] = ["NEWSLETTER"]  # type: ignore[assignment]
    statuses, emails = caused(
        lambda: [client.post("/preferences/edit/", data).status_code for _ in range(30)], "victim@example.org"
    )
    report("30 email changes to one victim", statuses, emails)
