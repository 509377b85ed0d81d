"""The dashboard's figures, computed from the site's own tables.

Counting is done by the database (`TruncDate`, `Count` with a filter: the
same SQL shape on SQLite and PostgreSQL); medians and percentiles, which
SQLite cannot compute, in Python from the few columns they need.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from signup_site.campaign.models import Change, Coupon, OptOut, PendingSignup


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive, in the site's time zone."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        return datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1))

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Daily:
    """Figures per day, one series per label (e.g. per opt-out reason)."""

    days: tuple[date, ...]
    series: tuple[Series, ...]

    @property
    def totals(self) -> tuple[float, ...]:
        return tuple(sum(values) for values in zip(*(s.values for s in self.series), strict=True))

    @property
    def rows(self) -> list[tuple[date, list[float]]]:
        return [(day, [s.values[n] for s in self.series]) for n, day in enumerate(self.days)]


def daily_counts(
    queryset: QuerySet[Any],
    field: str,
    period: Period,
    split: str | None = None,
    labels: dict[Any, str] | None = None,
) -> Daily:
    """How many rows of `queryset` fall on each day of `period` by `field`,
    one series per value of `split` (named through `labels`)."""
    keys = ["day", split] if split else ["day"]
    counted = (
        queryset.filter(period.within(field))
        .annotate(day=TruncDate(field))
        .values(*keys)
        .annotate(n=Count("id"))
        .order_by()
    )
    by_key: dict[Any, dict[date, int]] = defaultdict(dict)
    for row in counted:
        by_key[row[split] if split else None][row["day"]] = row["n"]
    labels = labels or {}
    names = sorted(by_key, key=lambda key: str(labels.get(key, key)))
    series = tuple(
        Series(str(labels.get(key, key)), tuple(float(by_key[key].get(day, 0)) for day in period.days))
        for key in names
    )
    return Daily(period.days, series)


def percentile(values: Iterable[float], p: float) -> float | None:
    """The nearest-rank percentile (p in 0..100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Breakdown:
    label: str
    signups: int
    confirmed: int
    median_seconds: float | None

    @property
    def rate(self) -> float | None:
        return self.confirmed / self.signups if self.signups else None


def signups_in(period: Period) -> QuerySet[PendingSignup]:
    return PendingSignup.objects.filter(period.within("created_at"))


def signups_per_day(period: Period) -> Daily:
    base = signups_in(period)
    counted = (
        base.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)))
        .order_by()
    )
    found = {row["day"]: row for row in counted}
    signups = tuple(float(found[day]["n"]) if day in found else 0.0 for day in period.days)
    confirmed = tuple(float(found[day]["confirmed"]) if day in found else 0.0 for day in period.days)
    return Daily(period.days, (Series(_("Sign-ups"), signups), Series(_("Confirmed since"), confirmed)))


def signup_breakdown(period: Period, key: str, labels: dict[Any, str]) -> list[Breakdown]:
    """Sign-ups, confirmations and the median time to confirm, per `key`."""
    counted = (
        signups_in(period)
        .values(key)
        .annotate(
            n=Count("id", distinct=True),
            confirmed=Count("id", distinct=True, filter=Q(confirmed_at__isnull=False)),
        )
        .order_by()
    )
    waits: dict[Any, list[float]] = defaultdict(list)
    pairs = (
        signups_in(period).filter(confirmed_at__isnull=False).values_list(key, "created_at", "confirmed_at")
    )
    for value, created, confirmed in pairs:
        if confirmed is None:  # excluded by the filter; for the type checker
            continue
        waits[value].append((confirmed - created).total_seconds())
    rows = [
        Breakdown(
            str(labels.get(row[key], row[key] or _("None"))),
            row["n"],
            row["confirmed"],
            median(waits[row[key]]) if waits[row[key]] else None,
        )
        for row in counted
    ]
    return sorted(rows, key=lambda row: -row.signups)


def confirmation_overall(period: Period) -> Breakdown:
    signups = signups_in(period)
    pairs = signups.filter(confirmed_at__isnull=False).values_list("created_at", "confirmed_at")
    waits = [(confirmed - created).total_seconds() for created, confirmed in pairs if confirmed]
    return Breakdown(_("All sign-ups"), signups.count(), len(waits), median(waits) if waits else None)


def optouts_per_day(period: Period, split: str) -> Daily:
    if split == "reason":
        labels: dict[Any, str] = {"": _("No reason given"), **{k: str(v) for k, v in OptOut.Reason.choices}}
        return daily_counts(OptOut.objects.all(), "created_at", period, "reason", labels)
    return daily_counts(OptOut.objects.all(), "created_at", period, "topic__label", {None: _("All email")})


def coupons_per_day(period: Period) -> Daily:
    return daily_counts(Coupon.objects.filter(issued_at__isnull=False), "issued_at", period, "topic__label")


@dataclass(frozen=True)
class Latency:
    label: str
    delivered: int
    p50: float | None
    p95: float | None


def delivery_latency(period: Period) -> tuple[list[Latency], Daily]:
    """Created to delivered, for the changes delivered in `period`: per kind,
    and the daily median and 95th percentile."""
    delivered = Change.objects.filter(period.within("delivered_at"), status=Change.Status.DONE)
    per_kind: dict[str, list[float]] = defaultdict(list)
    per_day: dict[date, list[float]] = defaultdict(list)
    zone = timezone.get_current_timezone()
    for kind, created, done in delivered.values_list("kind", "created_at", "delivered_at").iterator():
        if done is None:  # excluded by the filter; for the type checker
            continue
        seconds = max(0.0, (done - created).total_seconds())
        per_kind[kind].append(seconds)
        per_day[done.astimezone(zone).date()].append(seconds)
    labels = dict(Change.Kind.choices)
    everything = [seconds for values in per_kind.values() for seconds in values]
    rows = [
        Latency(_("All changes"), len(everything), percentile(everything, 50), percentile(everything, 95))
    ]
    rows += [
        Latency(str(labels.get(kind, kind)), len(values), percentile(values, 50), percentile(values, 95))
        for kind, values in sorted(per_kind.items())
    ]
    daily = Daily(
        period.days,
        (
            Series(_("Median"), tuple(percentile(per_day[day], 50) or 0.0 for day in period.days)),
            Series(_("95th percentile"), tuple(percentile(per_day[day], 95) or 0.0 for day in period.days)),
        ),
    )
    return rows, daily


@dataclass(frozen=True)
class Backlog:
    label: str
    pending: int
    in_progress: int
    parked: int
    oldest_seconds: float | None


def outbox_backlog(now: datetime | None = None) -> list[Backlog]:
    """What is waiting now, per kind of change (not limited to a period)."""
    now = now or timezone.now()
    counted = (
        Change.objects.exclude(status=Change.Status.DONE)
        .values("kind")
        .annotate(
            pending=Count("id", filter=Q(status=Change.Status.PENDING)),
            in_progress=Count("id", filter=Q(status=Change.Status.IN_PROGRESS)),
            parked=Count("id", filter=Q(status=Change.Status.PARKED)),
            oldest=Min("created_at", filter=Q(status__in=Change.UNFINISHED)),
        )
        .order_by("kind")
    )
    labels = dict(Change.Kind.choices)
    return [
        Backlog(
            str(labels.get(row["kind"], row["kind"])),
            row["pending"],
            row["in_progress"],
            row["parked"],
            (now - row["oldest"]).total_seconds() if row["oldest"] else None,
        )
        for row in counted
    ]
