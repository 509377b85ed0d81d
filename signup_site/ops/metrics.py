"""Prometheus metrics: what the operators scrape at /metrics.

Two kinds of figure, handled two ways:

- **From the database, at scrape time** (`OutboxCollector`): the outbox
  backlog by state and kind, the age of the oldest unfinished change and of
  the oldest undelivered opt-out, parked changes, changes failing and why,
  changes delivered, and the delivery latency histogram (created to
  delivered). The worker processes that deliver changes serve no HTTP, and
  there may be several on several machines: the rows they leave are the one
  place every process agrees on, so any web process answers the same.
- **Counted in the web process** (`REQUEST_LATENCY`, `LIMIT_HITS`): request
  latency per page and rate-limit hits. With gunicorn's several workers,
  set `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode)
  and every worker's counts are added up in each scrape; without it, each
  process reports its own.

Labels are URL names (`signup-form`), never paths, so no link token reaches
a label.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from signup_site.campaign.health import UNDELIVERED
from signup_site.campaign.models import Change, OptOut

# Counters and histograms of this process; in multiprocess mode their values
# live in PROMETHEUS_MULTIPROC_DIR and a scrape reads every process's.
PROCESS = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "signup_http_request_duration_seconds",
    "Time to answer a request, by URL name, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=PROCESS,
)
LIMIT_HITS = Counter(
    "signup_rate_limit_hits",
    "Requests refused by a rate limit, by limit.",
    ["limit"],
    registry=PROCESS,
)

# Seconds from a change's creation to its delivery.
LATENCY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 48 * 3600)
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def count_limit_hit(limit_name: str) -> None:
    """Count one request refused by the rate limit `limit_name` (a fixed
    name such as "signup-per-client", never an address)."""
    LIMIT_HITS.labels(limit=limit_name).inc()


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "other"
    REQUEST_LATENCY.labels(view=view, method=method, status=f"{status // 100}xx").observe(seconds)


class OutboxCollector(Collector):
    """The outbox and the opt-outs, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("signup_database_up", "1 when the scrape could read the database.")
        try:
            families = list(self._from_database())
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_database(self) -> Iterator[Metric]:
        now = timezone.now()
        kinds = Change.Kind.values
        backlog = GaugeMetricFamily(
            "signup_outbox_backlog", "Changes not delivered, by state and kind.", labels=["state", "kind"]
        )
        oldest = GaugeMetricFamily(
            "signup_outbox_oldest_unfinished_seconds",
            "Age of the oldest change pending or in progress, by kind (0: none).",
            labels=["kind"],
        )
        delivered = CounterMetricFamily(
            "signup_outbox_delivered", "Changes delivered to Campaign (or sent), by kind.", labels=["kind"]
        )
        rows: dict[str, dict[str, Any]] = {
            row["kind"]: dict(row)
            for row in Change.objects.values("kind")
            .annotate(
                pending=Count("id", filter=Q(status=Change.Status.PENDING)),
                in_progress=Count("id", filter=Q(status=Change.Status.IN_PROGRESS)),
                parked=Count("id", filter=Q(status=Change.Status.PARKED)),
                done=Count("id", filter=Q(status=Change.Status.DONE)),
                oldest=Min("created_at", filter=Q(status__in=Change.UNFINISHED)),
            )
            .order_by()
        }
        parked_total = 0
        for kind in kinds:
            row = rows.get(kind, {})
            for state in ("pending", "in_progress", "parked"):
                backlog.add_metric([state, kind], row.get(state, 0))
            parked_total += row.get("parked", 0)
            since = row.get("oldest")
            oldest.add_metric([kind], (now - since).total_seconds() if since else 0)
            delivered.add_metric([kind], row.get("done", 0))
        yield backlog
        yield oldest
        yield delivered

        parked = GaugeMetricFamily(
            "signup_outbox_parked", "Changes Campaign refused, waiting for an operator."
        )
        parked.add_metric([], parked_total)
        yield parked

        failing = GaugeMetricFamily(
            "signup_outbox_failing",
            "Changes not delivered whose last attempt failed, by what the failure means.",
            labels=["failure"],
        )
        counts = dict(
            Change.objects.exclude(status=Change.Status.DONE)
            .exclude(failure="")
            .values_list("failure")
            .annotate(n=Count("id"))
            .order_by()
        )
        for failure in Change.Failure.values:
            failing.add_metric([failure], counts.get(failure, 0))
        yield failing

        yield from self._optouts(now)
        yield self._latency()

    def _optouts(self, now: datetime) -> Iterator[Metric]:
        waiting = OptOut.objects.filter(ended_at__isnull=True, change__status__in=UNDELIVERED)
        found = waiting.aggregate(n=Count("id"), at=Min("created_at"))
        count = GaugeMetricFamily(
            "signup_optouts_undelivered", "Opt-outs that have not reached Campaign yet."
        )
        count.add_metric([], found["n"])
        age = GaugeMetricFamily(
            "signup_optout_oldest_undelivered_seconds",
            "Age of the oldest opt-out not yet in Campaign (0: none). Must stay well under 48 h.",
        )
        age.add_metric([], (now - found["at"]).total_seconds() if found["at"] else 0)
        yield count
        yield age

    def _latency(self) -> Metric:
        """A cumulative histogram over every delivered change: one query,
        one conditional count per bucket (the same SQL on SQLite and PostgreSQL)."""
        done = Change.objects.filter(status=Change.Status.DONE, delivered_at__isnull=False)
        buckets = {
            f"le_{n}": Count("id", filter=Q(delivered_at__lte=F("created_at") + timedelta(seconds=seconds)))
            for n, seconds in enumerate(LATENCY_BUCKETS)
        }
        waited = ExpressionWrapper(F("delivered_at") - F("created_at"), output_field=DurationField())
        counts = done.aggregate(total=Count("id"), waited=Sum(waited), **buckets)
        histogram = HistogramMetricFamily(
            "signup_outbox_delivery_latency_seconds", "Time from a change's creation to its delivery."
        )
        cumulative = [(str(float(s)), counts[f"le_{n}"]) for n, s in enumerate(LATENCY_BUCKETS)]
        waited_total = counts["waited"].total_seconds() if counts["waited"] else 0.0
        histogram.add_metric([], [*cumulative, ("+Inf", counts["total"])], sum_value=waited_total)
        return histogram
