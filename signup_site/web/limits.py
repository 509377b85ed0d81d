"""Limits on every path that sends an email, and the page a limited person gets.

Every request that *may* send an email (a sign-up, "email me my link", an
email change) is counted before anything is stored, whether or not the
address is known, so a limit reveals nothing about who is subscribed. Four
counters, in this order, each in a fixed window:

- the client's address (`proxies.client_ip`): LIMIT_IP_PER_HOUR for a client
  that solved the proof of work, LIMIT_IP_UNPROVEN_PER_HOUR for one that did
  not (no JavaScript, or a bot); one counter, two thresholds;
- its network (/24 for IPv4, /56 for IPv6): LIMIT_NETWORK_PER_HOUR;
- the mailbox, every alias of it together (`addresses.person_key`, so
  `victim+1@` and `victim+2@` are one), hashed with a key of the site's so
  the cache never holds an address: LIMIT_MAILBOX_PER_DAY, and for a sign-up
  also SIGNUP_EMAILS_PER_HOUR (the worker's cap on confirmation emails);
- the whole site, a circuit breaker: LIMIT_GLOBAL_UNPROVEN_PER_HOUR trips
  for unproven requests first, LIMIT_GLOBAL_PER_HOUR for all.

The first counter past its limit refuses, and later ones are not counted: a
client refused for its own flood does not use up the mailbox's or the site's
allowance. The counters are rows of their own in the database
(`web.models.LimitCounter`), shared by every process: one request's are all
counted by one atomic upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`,
PostgreSQL and SQLite alike), and those past a refusing one given back by a
second statement. Django's cache took a transaction of four or five
statements per counter, ~40 a sign-up (issue 15). The worker's per-person cap
(SIGNUP_EMAILS_PER_HOUR, counted from the outbox) stays the second line
behind these.

For the views and the JSON API (`POST /api/signup`)::

    refusal = limits.check(request, "signup", address, proven=proof.verified)
    if refusal is not None:
        return limits.limited(request, refusal)   # 429, Retry-After, the page

`check` counts the attempt and answers None (go ahead) or a `Refusal`
(`retry_after` seconds, and which `limit`); an API answers the 429 its own
way with `refusal.retry_after`.
"""

import ipaddress
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.timesince import timeuntil

from signup_site.campaign.addresses import AddressRefused, person_key

from .models import LimitCounter
from .proxies import client_ip

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = 24 * HOUR
ACTIONS = frozenset({"signup", "link", "email-change"})

# Sent with `action` and `limit` (fixed names, never an address) each time a
# limit refuses: the operators' metrics count them (signup_site.ops).
limit_refused = Signal()


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused: which `limit` ("ip", "network", "mailbox",
    "mailbox-hour", "global"), and the seconds until its window frees (`retry_after`)."""

    limit: str
    retry_after: int


@dataclass(frozen=True)
class _Counter:
    limit: str
    key: str
    period: int
    allowed: int


def network_of(address: str | None) -> str:
    """The client's network: its /24 (IPv4) or /56 (IPv6); "unknown" without one."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 56
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def mailbox_key(address: str) -> str:
    """The mailbox behind an address, keyed (HMAC with the site's secret) so that
    neither the cache nor its keys ever hold the address itself."""
    try:
        person = person_key(address)
    except AddressRefused:
        person = address.strip().lower()
    return salted_hmac("signup_site.limits.mailbox", person, algorithm="sha256").hexdigest()


def _counters(request: HttpRequest, action: str, address: str | None, proven: bool) -> list[_Counter]:
    ip = client_ip(request) or "unknown"
    ip_allowed = settings.LIMIT_IP_PER_HOUR if proven else settings.LIMIT_IP_UNPROVEN_PER_HOUR
    global_allowed = settings.LIMIT_GLOBAL_PER_HOUR if proven else settings.LIMIT_GLOBAL_UNPROVEN_PER_HOUR
    counters = [
        _Counter("ip", f"ip:{ip}", HOUR, ip_allowed),
        _Counter("network", f"net:{network_of(ip)}", HOUR, settings.LIMIT_NETWORK_PER_HOUR),
    ]
    if address:
        counters.append(
            _Counter("mailbox", f"mailbox:{mailbox_key(address)}", DAY, settings.LIMIT_MAILBOX_PER_DAY)
        )
    if address and action == "signup":
        # The worker sends a mailbox at most SIGNUP_EMAILS_PER_HOUR confirmation
        # emails and silently withholds more: refused here first, a "sign up
        # again" or a resend past it hears so and when to try, as every limit
        # says, known address or not.
        counters.append(
            _Counter(
                "mailbox-hour", f"mailbox-hour:{mailbox_key(address)}", HOUR, settings.SIGNUP_EMAILS_PER_HOUR
            )
        )
    counters.append(_Counter("global", "global", HOUR, global_allowed))
    return counters


def _table() -> tuple[str, str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(LimitCounter._meta.db_table),
        quote("name"),
        quote("count"),
        quote("expires"),
    )


@contextmanager
def _unflushed() -> Iterator[None]:
    """On PostgreSQL, a transaction of its own whose commit does not wait for
    the disk: a crash of the database loses at most its last fraction of a
    second of counts (a few attempts more allowed), and each sign-up saves a
    WAL flush, the largest cost left of its counting. Inside a caller's
    transaction, that transaction's terms."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _count(counted: dict[str, int]) -> dict[str, int]:
    """Add one to each counter (name: when its row may go); the new counts.

    One statement, atomic on its own: no transaction, so the site-wide row is
    locked only while it runs. Rows in name order, so two requests lock shared
    rows in the same order."""
    table, name, count, expires = _table()
    names = sorted(counted)
    rows = ", ".join(["(%s, 1, %s)"] * len(names))
    with _unflushed(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({name}, {count}, {expires}) VALUES {rows} "  # noqa: S608 (our names)
            f"ON CONFLICT ({name}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {name}, {count}",
            [value for key in names for value in (key, counted[key])],
        )
        return {str(key): int(value) for key, value in cursor.fetchall()}


def _uncount(names: list[str]) -> None:
    """Give back the counts of counters a refusal came before."""
    table, name, count, _expires = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {count} = {count} - 1 WHERE {name} IN ({', '.join(['%s'] * len(names))})",  # noqa: S608
            names,
        )


def _sweep(now: int) -> None:
    """Delete the counters whose windows are over: run when the site-wide
    window turns, once an hour, whatever the address."""
    LimitCounter.objects.filter(expires__lt=now).delete()


def check(request: HttpRequest, action: str, address: str | None, *, proven: bool) -> Refusal | None:
    """Count one attempt that may send an email; None to go ahead, or the `Refusal`.

    `action` is "signup", "link" or "email-change" (the counters are shared:
    three forms do not buy three allowances); `address` the canonical address
    the email would go to, None if there is none; `proven` whether the client
    solved the proof of work.
    """
    assert action in ACTIONS, action
    now = int(time.time())
    windows = []
    for counter in _counters(request, action, address, proven):
        window = now - now % counter.period
        windows.append((counter, window, f"limits:{counter.key}:{window}"))
    counts = _count({name: window + counter.period + 60 for counter, window, name in windows})
    site_wide = windows[-1]  # `_counters` puts it last
    assert site_wide[0].limit == "global", site_wide
    if counts[site_wide[2]] == 1:  # its first in a new window
        _sweep(now)
    for position, (counter, window, name) in enumerate(windows):
        if counts[name] > counter.allowed:
            if later := [later_name for _counter, _window, later_name in windows[position + 1 :]]:
                _uncount(later)
            retry_after = max(1, window + counter.period - now)
            logger.info("%s refused: %s limit (retry in %d s)", action, counter.limit, retry_after)
            limit_refused.send(sender=check, action=action, limit=counter.limit)
            return Refusal(counter.limit, retry_after)
    return None


def limited(request: HttpRequest, refusal: Refusal, context: dict[str, Any] | None = None) -> HttpResponse:
    """The page a limited person gets: 429 with Retry-After, "try again in
    <time>", the same for every address and every limit. `context` may carry
    the `form` they sent (re-shown with what they typed), the `action` URL to
    send it to, and the `consent_text` it was shown with."""
    again = timeuntil(timezone.now() + timedelta(seconds=refusal.retry_after + 59), depth=1)
    response = render(request, "web/limited.html", {**(context or {}), "again": again}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


HONEYPOT = "homepage"


def is_bot(data: Mapping[str, object]) -> bool:
    """Whether the form's honeypot was filled: a field no person sees, hears or
    reaches by keyboard (templates/web/_guard.html), so only a bot fills it in.
    The caller answers as if all went well, and stores and sends nothing."""
    return bool(str(data.get(HONEYPOT, "") or "").strip())
