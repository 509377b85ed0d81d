"""Gift coupons: one per person per offer, ever; unique and unguessable.

Allocation is safe under concurrent confirmations on SQLite and PostgreSQL
alike: the database's unique constraint on (offer, person) decides who holds a
coupon, and a pool code is taken with a conditional UPDATE that only one
transaction can win.
"""

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import formats, timezone, translation

from .models import Coupon, Subscriber, Topic

# No 0/O, 1/I/L: codes are read off a screen and typed at a till.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ≈ 2**59 possible codes: not guessable


class CouponsExhausted(Exception):
    """The offer's imported pool has no free code left."""


@dataclass(frozen=True)
class IssuedOffer:
    """A coupon just issued, with what the person is told about it."""

    topic: Topic
    coupon: Coupon

    @property
    def expires_on(self) -> date | None:
        """The last day the coupon can be used: issued + the offer's valid days."""
        days = self.topic.coupon_valid_days
        if not days or self.coupon.issued_at is None:
            return None
        return timezone.localdate(self.coupon.issued_at) + timedelta(days=days)

    def email_context(self, language: str) -> dict[str, str]:
        """The offer's keys of the special-offer email's context (strings, as
        a Campaign event's `ctx` has them; the date written in the person's language)."""
        with translation.override(language):
            expires = self.expires_on
            return {
                "couponCode": self.coupon.code,
                "offerName": self.topic.display_label,
                "offerValue": self.topic.display_offer_value,
                "offerShopUrl": self.topic.offer_shop_url,
                "couponExpires": formats.date_format(expires, "DATE_FORMAT") if expires else "",
            }


@dataclass(frozen=True)
class PoolLevel:
    topic: Topic
    free: int


def pools_running_low(threshold: int) -> list[PoolLevel]:
    """The active offers whose imported pool has fewer than `threshold` free codes."""
    offers = Topic.objects.filter(active=True, is_special_offer=True, coupon_source=Topic.CouponSource.POOL)
    counted = offers.annotate(free=Count("coupons", filter=Q(coupons__holder_key__isnull=True)))
    return [
        PoolLevel(topic, topic.free) for topic in counted.order_by("order", "id") if topic.free < threshold
    ]


def generate_code(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return prefix + "-".join(body[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def held_coupon(topic: Topic, subscriber: Subscriber) -> Coupon | None:
    return Coupon.objects.filter(topic=topic, holder_key=subscriber.person_key).first()


def allocate(topic: Topic, subscriber: Subscriber) -> tuple[Coupon, bool]:
    """The person's coupon for this offer, and whether it was issued just now."""
    existing = held_coupon(topic, subscriber)
    if existing:
        return existing, False
    if topic.coupon_source == Topic.CouponSource.POOL:
        return _take_from_pool(topic, subscriber)
    return _generate(topic, subscriber)


def _generate(topic: Topic, subscriber: Subscriber) -> tuple[Coupon, bool]:
    for _attempt in range(8):
        try:
            with transaction.atomic():
                coupon = Coupon.objects.create(
                    topic=topic,
                    code=generate_code(topic.coupon_prefix),
                    holder_key=subscriber.person_key,
                    subscriber=subscriber,
                    issued_at=timezone.now(),
                )
            return coupon, True
        except IntegrityError:
            # Either this person won a coupon in a concurrent confirmation,
            # or (vanishingly rarely) the code exists: look, then try again.
            existing = held_coupon(topic, subscriber)
            if existing:
                return existing, False
    raise RuntimeError("Could not generate a unique coupon code")


def _take_from_pool(topic: Topic, subscriber: Subscriber) -> tuple[Coupon, bool]:
    while True:
        free = Coupon.objects.filter(topic=topic, holder_key__isnull=True).order_by("id")
        candidate = free.values_list("id", flat=True).first()
        if candidate is None:
            raise CouponsExhausted(topic.slug)
        try:
            with transaction.atomic():
                taken = Coupon.objects.filter(id=candidate, holder_key__isnull=True).update(
                    holder_key=subscriber.person_key, subscriber=subscriber, issued_at=timezone.now()
                )
        except IntegrityError:
            existing = held_coupon(topic, subscriber)
            if existing:
                return existing, False
            raise
        if taken:
            return Coupon.objects.get(id=candidate), True
        # Another confirmation took that code first: take the next one.


def import_pool(topic: Topic, data: bytes) -> tuple[int, int]:
    """Import codes from CSV (first column; a header row is skipped).

    Returns (added, skipped): codes already known are skipped, not duplicated.
    """
    text = data.decode("utf-8-sig")
    codes = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        code = row[0].strip()
        if code.lower() in {"code", "coupon", "coupon_code"}:
            continue
        codes.append(code[:64])
    unique = list(dict.fromkeys(codes))
    known = set(Coupon.objects.filter(code__in=unique).values_list("code", flat=True))
    new = [Coupon(topic=topic, code=code) for code in unique if code not in known]
    Coupon.objects.bulk_create(new, ignore_conflicts=True)
    return len(new), len(codes) - len(new)
