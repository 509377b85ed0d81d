"""The privacy verbs: "download my data" and "delete me".

- `export_data`: everything the site holds about a person, with their profile
  as Campaign returns it (read by PKey); when Campaign cannot be read, the
  file says so and holds what the site keeps.
- `request_erasure`: in one transaction, erase what the site holds about the
  person except what the erasure and the law need (the salted hash of their
  address, so they stay suppressed, and their consent evidence for
  PRIVACY_EVIDENCE_RETENTION_DAYS), and queue the erasure for Campaign (an
  `ERASE_PROFILE` change, delivered by `erasure.deliver_erasure`).
- `sweep_evidence`: the sweeper's step that deletes evidence past retention.
- `link_is_fresh`: whether a preferences session may download or delete
  without confirming by email again.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import deadline, outbox
from .backends import get_backend
from .config import campaign_config, privacy_config
from .erasure import address_hash
from .errors import CampaignError
from .models import (
    Change,
    ConsentRecord,
    Coupon,
    ErasedAddress,
    PendingEmailChange,
    PendingSignup,
    PrivacyRequest,
    Subscriber,
)
from .optdown import export_optdown
from .preferences import offered_topics, read_profile

logger = logging.getLogger(__name__)

# Outbox payload keys that are not the person's data: links (signed tokens),
# and a Campaign PKey (delivery.NEW_PROFILE), which never leaves the server.
NOT_EXPORTED = {"context", "new_profile"}


def link_is_fresh(issued_at: float | None, now: datetime | None = None) -> bool:
    """True when the link that started the session was issued within
    PRIVACY_LINK_MAX_AGE_MINUTES: its owner has just shown they read the mailbox."""
    if issued_at is None:
        return False
    now = now or timezone.now()
    age = now.timestamp() - issued_at
    return -60 <= age <= privacy_config().link_max_age_minutes * 60


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _campaign_part(subscriber: Subscriber) -> dict[str, Any]:
    offered = {topic.service_name: topic.label for topic in offered_topics()}
    try:
        with deadline.within(campaign_config().read_budget_seconds):
            profile = read_profile(subscriber)
            subscribed = sorted(get_backend().subscriptions(profile.pkey)) if profile else []
    except CampaignError:
        return {
            "available": False,
            "note": "Our email system (Adobe Campaign) could not be reached just now, so this file holds "
            "only what this site keeps. Ask again later for the profile Campaign holds.",
        }
    if profile is None:
        return {"available": True, "profile": None, "note": "Campaign holds no profile for you yet."}
    return {
        "available": True,
        "profile": {
            "email": profile.email,
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "language": profile.language,
            "stopped_all_email": profile.blacklist_email,
        },
        "topics": [{"service": name, "label": offered.get(name, name)} for name in subscribed],
    }


def export_data(subscriber: Subscriber) -> dict[str, Any]:
    """Everything the site holds about the person, JSON-ready."""
    return {
        "generated_at": timezone.now().isoformat(),
        "campaign": _campaign_part(subscriber),
        "site": {
            "subscriber": {
                "email": subscriber.email,
                "first_name": subscriber.first_name,
                "last_name": subscriber.last_name,
                "language": subscriber.language,
                "status": subscriber.status,
                "created_at": _when(subscriber.created_at),
                "confirmed_at": _when(subscriber.confirmed_at),
            },
            "sign_ups": [
                {
                    "created_at": _when(signup.created_at),
                    "confirmed_at": _when(signup.confirmed_at),
                    "first_name": signup.first_name,
                    "last_name": signup.last_name,
                    "language": signup.language,
                    "topics": sorted(topic.service_name for topic in signup.topics.all()),
                }
                for signup in subscriber.signups.order_by("id")
            ],
            "consent_evidence": [
                {
                    "kind": record.kind,
                    "created_at": _when(record.created_at),
                    "ip_address": record.ip_address,
                    "user_agent": record.user_agent,
                    "source": record.source,
                    "topics": record.topics,
                    "language": record.language,
                    "wording_version": record.wording_version,
                    "wording_sha256": record.wording_sha256,
                }
                for record in subscriber.consents.order_by("created_at", "id")
            ],
            "opt_outs": [
                {
                    "topic": optout.topic.service_name if optout.topic else "all email",
                    "via": optout.via,
                    "created_at": _when(optout.created_at),
                    "reason": optout.reason,
                    "reason_text": optout.reason_text,
                    "ended_at": _when(optout.ended_at),
                    "ended_by": optout.ended_by,
                }
                for optout in subscriber.optouts.select_related("topic").order_by("created_at", "id")
            ],
            "fewer_emails": export_optdown(subscriber),
            "coupons": [
                {
                    "topic": coupon.topic.service_name,
                    "code": coupon.code,
                    "issued_at": _when(coupon.issued_at),
                }
                for coupon in subscriber.coupons.select_related("topic").order_by("id")
            ],
            "pending_email_changes": [
                {"new_email": change.new_email, "created_at": _when(change.created_at)}
                for change in subscriber.email_changes.filter(confirmed_at__isnull=True).order_by("id")
            ],
            "pending_changes": [
                {
                    "kind": change.kind,
                    "created_at": _when(change.created_at),
                    "status": change.status,
                    "data": {k: v for k, v in change.payload.items() if k not in NOT_EXPORTED},
                }
                for change in subscriber.changes.filter(status__in=Change.UNFINISHED).order_by("id")
            ],
        },
    }


def _tombstone_email(subscriber: Subscriber) -> str:
    # Under a special-use domain the site refuses in every form: no one can
    # sign up with it, and it is unique as `Subscriber.email` must be.
    return f"erased-{subscriber.public_id.hex}@erased.invalid"


def request_erasure(subscriber: Subscriber) -> PrivacyRequest:
    """Erase the person here and queue the erasure for Campaign (one transaction).

    Kept: the salted hash of their address (suppressed until a confirmed new
    sign-up), and their consent evidence, on a tombstone subscriber with no
    address or name, until PRIVACY_EVIDENCE_RETENTION_DAYS have passed; the
    address itself only on the privacy request, until the email that tells
    them it is done has gone.
    """
    with transaction.atomic():
        person = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        hashed = address_hash(person.email)
        request = PrivacyRequest.objects.create(
            subscriber=person,
            address_hash=hashed,
            email=person.email,
            language=person.language,
            regulation=privacy_config().regulation,
            backend=campaign_config().backend,
        )
        ErasedAddress.objects.get_or_create(address_hash=hashed)
        # Whatever was on its way to Campaign is moot (the profile is going) and
        # carries the person's data; the site's evidence of mail sent goes too.
        person.changes.all().delete()
        person.optouts.all().delete()
        person.optdowns.all().delete()
        person.pauses.all().delete()
        PendingEmailChange.objects.filter(subscriber=person).delete()
        PendingSignup.objects.filter(subscriber=person).update(first_name="", last_name="")
        for coupon in Coupon.objects.filter(subscriber=person):
            # Issued stays issued (a code is never handed out twice), to no one.
            Coupon.objects.filter(pk=coupon.pk).update(
                subscriber=None, holder_key="erased:" + address_hash(coupon.holder_key or coupon.code)
            )
        person.email = _tombstone_email(person)
        person.person_key = "erased:" + hashed
        person.first_name = person.last_name = person.campaign_pkey = person.email_frequency = ""
        person.status = Subscriber.Status.ERASED
        person.save()
        outbox.record(person, Change.Kind.ERASE_PROFILE, request=request.public_id.hex)
    logger.info("privacy request %s: erasure queued", request.pk)
    return request


def sweep_evidence(now: datetime | None = None) -> int:
    """Delete the consent evidence (and the tombstone holding it) of people
    erased more than PRIVACY_EVIDENCE_RETENTION_DAYS ago, once the erasure is
    complete. Returns how many people's evidence went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=privacy_config().evidence_retention_days)
    done = PrivacyRequest.objects.filter(
        status=PrivacyRequest.Status.CONFIRMED, created_at__lte=cutoff, subscriber__isnull=False
    )
    count = 0
    for request in done.select_related("subscriber"):
        tombstone = request.subscriber
        if tombstone is None or tombstone.status != Subscriber.Status.ERASED:
            continue
        with transaction.atomic():
            # A queryset delete: the records' own delete() refuses, as evidence should.
            ConsentRecord.objects.filter(subscriber=tombstone).delete()
            tombstone.delete()  # its sign-ups and outbox rows with it
        count += 1
    return count
