"""A realistic history for demos and tests: sign-ups, confirmations, consent
evidence, coupons, changes (delivered, parked, still waiting) and opt-outs,
spread over the last days.

Deterministic: one seed, one history (relative to today). Every address is
`...+seed@example.com` or `...+seed@example.org` (domains reserved for
examples, RFC 2606), which is also how a later run finds the seeded rows to
leave alone or, with `reset`, to remove. Rows are written directly, never
through the outbox's `record`, so no worker is woken to deliver them.
"""

import hashlib
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import (
    Change,
    ConsentRecord,
    Coupon,
    LocalService,
    OptOut,
    PendingSignup,
    Subscriber,
    Topic,
    TopicTranslation,
)
from signup_site.campaign.seed import seed_default_topics

MARKER = "+seed@"
FIRST = ["ana", "ben", "carla", "david", "elena", "farid", "grace", "hugo", "iris", "jon", "kemal", "lucia"]
LAST = ["garcia", "smith", "lopez", "brown", "martin", "silva", "jones", "perez", "wilson", "diaz"]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile",
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
]
WORDING_VERSION = "seed-demo"
WORDING_SHA256 = hashlib.sha256(b"seeded demo consent wording").hexdigest()


def seeded_subscribers() -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(
        Q(email__endswith=f"{MARKER}example.com") | Q(email__endswith=f"{MARKER}example.org")
    )


def remove_seeded() -> int:
    """Delete what an earlier run seeded; the number of people removed.

    Consent records are append-only for the application; removing demo data
    is the one deletion allowed, done by a queryset (no model `delete`)."""
    ids = list(seeded_subscribers().values_list("id", flat=True))
    ConsentRecord.objects.filter(subscriber__in=ids).delete()
    Coupon.objects.filter(subscriber__in=ids).delete()
    OptOut.objects.filter(subscriber__in=ids).delete()
    Subscriber.objects.filter(id__in=ids).delete()
    return len(ids)


@dataclass
class _Rows:
    changes: list[Change] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    coupons: list[Coupon] = field(default_factory=list)
    optouts: list[tuple[OptOut, Change]] = field(default_factory=list)


class _History:
    def __init__(self, days: int, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.days = days
        self.now = now
        self.rows = _Rows()
        self.topics = list(Topic.objects.filter(active=True))

    def delivered(self, change: Change, at: datetime, kind_of_failure: bool = True) -> Change:
        """Give a change its fate: delivered after a short wait, parked now and
        then, or still waiting when it is too recent to have gone."""
        change.created_at = change.next_attempt_at = at
        wait = timedelta(seconds=min(self.rng.lognormvariate(0.7, 1.1), 3600))
        if at + wait > self.now or (at > self.now - timedelta(minutes=20) and self.rng.random() < 0.5):
            change.status = Change.Status.PENDING
        elif kind_of_failure and self.rng.random() < 0.015:
            change.status = Change.Status.PARKED
            change.attempts = 1
            change.failure = Change.Failure.REJECTED
            change.last_error = "CampaignRejected: seeded example of a refused change"
        else:
            change.status = Change.Status.DONE
            change.attempts = 1
            change.delivered_at = at + wait
        self.rows.changes.append(change)
        return change

    def people_on(self, day: int) -> int:
        moment = self.now - timedelta(days=self.days - 1 - day)
        weekend = moment.weekday() >= 5
        base = 14 if weekend else 24
        if day == self.days // 2:
            base *= 3  # the day a newsletter went out with a sign-up link
        return max(0, base + self.rng.randint(-6, 6))

    def build(self) -> int:
        start = timezone.localtime(self.now).replace(hour=0, minute=0, second=0, microsecond=0)
        start -= timedelta(days=self.days - 1)
        made = 0
        for day in range(self.days):
            for _ in range(self.people_on(day)):
                at = start + timedelta(days=day, seconds=self.rng.randint(6 * 3600, 23 * 3600))
                if at < self.now:
                    self.person(made, at)
                    made += 1
        return made

    def person(self, n: int, at: datetime) -> None:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = rng.choice(["example.com", "example.org"])
        email = f"{first}.{last}{n}{MARKER}{domain}"
        language = "es" if rng.random() < 0.35 else "en"
        topics = [topic for topic in self.topics if rng.random() < (0.5 if topic.is_special_offer else 0.8)]
        topics = topics or self.topics[:1]
        wait = timedelta(seconds=min(rng.lognormvariate(6.3, 1.5), 3 * 86400))
        confirmed_at = at + wait if rng.random() < 0.74 and at + wait < self.now else None
        subscriber = Subscriber.objects.create(
            email=email,
            person_key=person_key(email),
            first_name=first.title(),
            last_name=last.title(),
            language=language,
            status=Subscriber.Status.CONFIRMED if confirmed_at else Subscriber.Status.PENDING,
            created_at=at,
            confirmed_at=confirmed_at,
        )
        signup = PendingSignup.objects.create(
            subscriber=subscriber, language=language, created_at=at, confirmed_at=confirmed_at
        )
        signup.topics.set(topics)
        self.consent(subscriber, signup, ConsentRecord.Kind.REQUEST, at, topics, language)
        email_payload = {"template": "signup-confirm", "email": email, "language": language, "context": {}}
        self.delivered(
            Change(subscriber=subscriber, kind=Change.Kind.SITE_EMAIL, payload=email_payload),
            at,
            kind_of_failure=False,
        )
        if confirmed_at is None:
            return
        self.consent(subscriber, signup, ConsentRecord.Kind.CONFIRMATION, confirmed_at, topics, language)
        profile = {
            "email": email,
            "first_name": first.title(),
            "last_name": last.title(),
            "language": language,
        }
        self.delivered(
            Change(subscriber=subscriber, kind=Change.Kind.SYNC_PROFILE, payload=profile), confirmed_at
        )
        for topic in topics:
            service = {"service": topic.service_name}
            self.delivered(
                Change(subscriber=subscriber, kind=Change.Kind.SUBSCRIBE, payload=service), confirmed_at
            )
            if topic.is_special_offer:
                code = "DEMO-" + "".join(rng.choice(string.ascii_uppercase + "23456789") for _ in range(12))
                self.rows.coupons.append(
                    Coupon(
                        topic=topic,
                        code=code,
                        holder_key=subscriber.person_key,
                        subscriber=subscriber,
                        issued_at=confirmed_at,
                        created_at=confirmed_at,
                    )
                )
        offer = next((topic for topic in topics if topic.is_special_offer), None)
        message: dict[str, Any] = {
            "message": offer.message_on_opt_in if offer else "welcome",
            "topic": offer.slug if offer else None,
            "email": email,
            "language": language,
            "context": {},
        }
        self.delivered(
            Change(subscriber=subscriber, kind=Change.Kind.SEND_MESSAGE, payload=message), confirmed_at
        )
        if rng.random() < 0.12:
            self.opt_out(subscriber, confirmed_at, topics)

    def opt_out(self, subscriber: Subscriber, confirmed_at: datetime, topics: list[Topic]) -> None:
        rng = self.rng
        at = confirmed_at + timedelta(hours=rng.uniform(1, 24 * 20))
        if at >= self.now:
            return
        topic = None if rng.random() < 0.4 else rng.choice(topics)
        if topic is None:
            change = Change(
                subscriber=subscriber, kind=Change.Kind.UPDATE_PROFILE, payload={"blacklist_email": True}
            )
        else:
            change = Change(
                subscriber=subscriber, kind=Change.Kind.UNSUBSCRIBE, payload={"service": topic.service_name}
            )
        self.delivered(change, at, kind_of_failure=False)
        reason = rng.choice(["", "", *OptOut.Reason.values])
        via = rng.choices(OptOut.Via.values, weights=[5, 4, 1])[0]
        optout = OptOut(subscriber=subscriber, topic=topic, via=via, created_at=at, reason=reason)
        self.rows.optouts.append((optout, change))

    def consent(
        self,
        subscriber: Subscriber,
        signup: PendingSignup,
        kind: ConsentRecord.Kind,
        at: datetime,
        topics: list[Topic],
        language: str,
    ) -> None:
        self.rows.consents.append(
            ConsentRecord(
                subscriber=subscriber,
                signup=signup,
                kind=kind,
                created_at=at,
                ip_address=f"192.0.2.{self.rng.randint(1, 254)}",  # TEST-NET-1 (RFC 5737)
                user_agent=self.rng.choice(AGENTS),
                source="/signup/",
                topics=[topic.service_name for topic in topics],
                language=language,
                wording_version=WORDING_VERSION,
                wording_sha256=WORDING_SHA256,
            )
        )

    def save(self) -> None:
        Change.objects.bulk_create(self.rows.changes, batch_size=500)
        ConsentRecord.objects.bulk_create(self.rows.consents, batch_size=500)
        Coupon.objects.bulk_create(self.rows.coupons, batch_size=500)
        for optout, change in self.rows.optouts:
            optout.change = change
        OptOut.objects.bulk_create([optout for optout, _ in self.rows.optouts], batch_size=500)


def seed_history(days: int = 30, seed: int = 1, *, reset: bool = False, now: datetime | None = None) -> int:
    """Seed `days` days of history ending now; the number of people made.

    Without `reset`, a history already seeded is left as it is (0 made)."""
    with transaction.atomic():
        if reset:
            remove_seeded()
        elif seeded_subscribers().exists():
            return 0
        seed_default_topics(Topic, TopicTranslation, LocalService)
        history = _History(days, seed, now or timezone.now())
        made = history.build()
        history.save()
        return made
