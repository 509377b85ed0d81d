"""What an operator watches: is the outbox draining, and are opt-outs
reaching Campaign in time (Gmail and Yahoo require them honoured within 48 h)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from .config import campaign_config
from .coupons import pools_running_low
from .models import Change, InboundRequest, OptOut

UNDELIVERED = (*Change.UNFINISHED, Change.Status.PARKED)


@dataclass(frozen=True)
class OutboxHealth:
    backlog: int
    parked: int
    oldest_pending_seconds: float | None
    oldest_undelivered_optout_seconds: float | None
    # Sign-ups and link requests the worker has not acted on yet (seconds,
    # normally); one that failed stays among them.
    requests_waiting: int
    # "ok"; "unavailable" while changes wait on Campaign being down or slow;
    # "misconfigured" while they wait on an operator (credentials or settings).
    campaign: str

    @property
    def optouts_late(self) -> bool:
        age = self.oldest_undelivered_optout_seconds
        return age is not None and age > campaign_config().health_optout_max_age_hours * 3600


def _age(moment: datetime | None, now: datetime) -> float | None:
    return round((now - moment).total_seconds(), 1) if moment else None


def outbox_health(now: datetime | None = None) -> OutboxHealth:
    now = now or timezone.now()
    pending = Change.objects.filter(status__in=Change.UNFINISHED)
    # An opt-out that has ended (undone, or lifted by a new sign-up) no
    # longer needs to reach Campaign; a parked one still does, and is late.
    waiting = OptOut.objects.filter(ended_at__isnull=True, change__status__in=UNDELIVERED)
    oldest_optout = waiting.aggregate(at=Min("created_at"))["at"]
    failures = set(pending.exclude(failure="").values_list("failure", flat=True).distinct())
    if failures & set(Change.OPERATOR_FAILURES):
        campaign = "misconfigured"
    elif Change.Failure.UNAVAILABLE in failures:
        campaign = "unavailable"
    else:
        campaign = "ok"
    return OutboxHealth(
        campaign=campaign,
        backlog=pending.count(),
        parked=Change.objects.filter(status=Change.Status.PARKED).count(),
        oldest_pending_seconds=_age(pending.aggregate(at=Min("created_at"))["at"], now),
        oldest_undelivered_optout_seconds=_age(oldest_optout, now),
        requests_waiting=InboundRequest.objects.count(),
    )


def coupon_pools_low(threshold: int) -> list[dict[str, str | int]]:
    """The active offers whose imported pool has fewer than `threshold` free
    codes: `[{"topic": slug, "free": n}]`, for /healthz. Empty when all is well."""
    return [{"topic": level.topic.slug, "free": level.free} for level in pools_running_low(threshold)]
