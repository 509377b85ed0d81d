"""The verbs the views call. Each one changes local state and queues what
Campaign must learn in one transaction; none waits on Campaign.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import coupons, optouts, outbox
from .addresses import normalise_email, person_key
from .models import Change, ConsentRecord, OptOut, PendingEmailChange, PendingSignup, Subscriber, Topic

logger = logging.getLogger(__name__)


class Links(Protocol):
    """Absolute URLs for emails; the web app provides them (signed tokens)."""

    def confirm_url(self, signup: PendingSignup) -> str: ...

    def preferences_url(self, subscriber: Subscriber) -> str: ...

    def unsubscribe_url(self, subscriber: Subscriber, topic: Topic | None = None) -> str: ...

    def email_change_url(self, change: PendingEmailChange) -> str: ...


@dataclass(frozen=True)
class Evidence:
    """What a consent record keeps about the request that gave consent."""

    ip_address: str | None
    user_agent: str
    source: str
    language: str
    wording_version: str
    wording_sha256: str


@dataclass(frozen=True)
class SignupRequest:
    email: str
    first_name: str
    last_name: str
    language: str
    topics: tuple[Topic, ...]


@dataclass(frozen=True)
class Confirmation:
    """The outcome of a confirmation, for the page that reports it."""

    signup: PendingSignup
    already_confirmed: bool
    topics: tuple[Topic, ...]
    coupon_issued: bool


def signup_topics() -> QuerySet[Topic]:
    """The topics offered as checkboxes on the sign-up page, in order."""
    return Topic.objects.filter(active=True, show_on_signup=True).prefetch_related("translations")


def _record_consent(
    subscriber: Subscriber,
    signup: PendingSignup,
    kind: ConsentRecord.Kind,
    evidence: Evidence,
    topics: tuple[Topic, ...],
) -> None:
    ConsentRecord.objects.create(
        subscriber=subscriber,
        signup=signup,
        kind=kind,
        ip_address=evidence.ip_address,
        user_agent=evidence.user_agent[:512],
        source=evidence.source[:512],
        topics=[topic.service_name for topic in topics],
        language=evidence.language,
        wording_version=evidence.wording_version,
        wording_sha256=evidence.wording_sha256,
    )


def _links_context(subscriber: Subscriber, links: Links) -> dict[str, str]:
    return {
        "firstName": subscriber.first_name,
        "preferencesUrl": links.preferences_url(subscriber),
        "unsubscribeUrl": links.unsubscribe_url(subscriber),
    }


def start_signup(request: SignupRequest, evidence: Evidence, links: Links) -> None:
    """Hold a sign-up until confirmed and send the confirmation email.

    The caller answers the same whatever happens here, so that the page does
    not tell whether an address is known. A confirmed subscriber is never
    downgraded: nothing changes for them until they confirm again.
    """
    email = normalise_email(request.email)
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(
            email=email,
            defaults={
                "person_key": person_key(email),
                "first_name": request.first_name,
                "last_name": request.last_name,
                "language": request.language,
            },
        )
        signup = PendingSignup.objects.create(
            subscriber=subscriber,
            first_name=request.first_name,
            last_name=request.last_name,
            language=request.language,
        )
        signup.topics.set(request.topics)
        _record_consent(subscriber, signup, ConsentRecord.Kind.REQUEST, evidence, request.topics)
        # Someone who stopped all email must confirm again, whatever the
        # setting: only a confirmed sign-up lifts their opt-out.
        if not settings.SIGNUP_DOUBLE_OPT_IN and not optouts.is_suppressed(subscriber):
            _confirm(signup, evidence, links)
            return
        hour_ago = timezone.now() - timedelta(hours=1)
        if subscriber.signups.filter(created_at__gte=hour_ago).count() > settings.SIGNUP_EMAILS_PER_HOUR:
            logger.info("sign-up %s: confirmation email withheld (rate limit)", signup.pk)
            return
        outbox.record(
            subscriber,
            Change.Kind.SITE_EMAIL,
            template="signup-confirm",
            email=subscriber.email,
            language=signup.language,
            context={
                **_links_context(subscriber, links),
                "firstName": signup.first_name,
                "confirmUrl": links.confirm_url(signup),
            },
        )


def parse_public_id(value: object) -> uuid.UUID | None:
    """A public id from a link payload, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(hex=str(value))
    except ValueError:
        return None


def find_signup(public_id: uuid.UUID | str) -> PendingSignup | None:
    parsed = parse_public_id(public_id)
    if parsed is None:
        return None
    return PendingSignup.objects.select_related("subscriber").filter(public_id=parsed).first()


def confirm_signup(public_id: uuid.UUID | str, evidence: Evidence, links: Links) -> Confirmation | None:
    """Confirm a pending sign-up; None when there is no such sign-up.

    Confirming twice is harmless: the second time changes nothing.
    """
    parsed = parse_public_id(public_id)
    if parsed is None:
        return None
    with transaction.atomic():
        signup = PendingSignup.objects.select_for_update().filter(public_id=parsed).first()
        if signup is None:
            return None
        if signup.confirmed_at is not None:
            topics = tuple(signup.topics.filter(active=True).prefetch_related("translations"))
            return Confirmation(signup, already_confirmed=True, topics=topics, coupon_issued=False)
        return _confirm(signup, evidence, links)


def _confirm(signup: PendingSignup, evidence: Evidence, links: Links) -> Confirmation:
    now = timezone.now()
    signup.confirmed_at = now
    signup.save(update_fields=["confirmed_at"])
    subscriber = Subscriber.objects.select_for_update().get(pk=signup.subscriber_id)
    first_confirmation = subscriber.status != Subscriber.Status.CONFIRMED
    # A name left blank on a later sign-up never erases the one we have.
    subscriber.first_name = signup.first_name or subscriber.first_name
    subscriber.last_name = signup.last_name or subscriber.last_name
    subscriber.language = signup.language
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = subscriber.confirmed_at or now
    subscriber.save()
    topics = tuple(signup.topics.filter(active=True).prefetch_related("translations"))
    _record_consent(subscriber, signup, ConsentRecord.Kind.CONFIRMATION, evidence, topics)
    optouts.end_optouts(subscriber, list(topics), OptOut.Ended.RECONFIRMED, everything=True)

    # Confirming is an explicit opt-in: it lifts an earlier "stop all email".
    outbox.record(
        subscriber,
        Change.Kind.SYNC_PROFILE,
        email=subscriber.email,
        first_name=subscriber.first_name,
        last_name=subscriber.last_name,
        language=subscriber.language,
        blacklist_email=False,
    )
    for topic in topics:
        outbox.record(subscriber, Change.Kind.SUBSCRIBE, service=topic.service_name)

    context = _links_context(subscriber, links)
    offer_sent = False
    for topic in topics:
        if topic.is_special_offer:
            try:
                coupon, issued = coupons.allocate(topic, subscriber)
            except coupons.CouponsExhausted:
                logger.error("offer %s has no coupons left", topic.slug)
                continue
            if issued:
                _send(
                    subscriber,
                    topic.opt_in_message or "special-offer",
                    topic,
                    {
                        **context,
                        "couponCode": coupon.code,
                        "offerName": topic.display_label,
                        "unsubscribeUrl": links.unsubscribe_url(subscriber, topic),
                    },
                )
                offer_sent = True
        elif topic.opt_in_message:
            _send(
                subscriber,
                topic.opt_in_message,
                topic,
                {
                    **context,
                    "topicName": topic.display_label,
                    "unsubscribeUrl": links.unsubscribe_url(subscriber, topic),
                },
            )
    if first_confirmation and not offer_sent and settings.SIGNUP_WELCOME_MESSAGE:
        _send(subscriber, settings.SIGNUP_WELCOME_MESSAGE, None, context)
    return Confirmation(signup, already_confirmed=False, topics=topics, coupon_issued=offer_sent)


def _send(subscriber: Subscriber, message: str, topic: Topic | None, context: dict[str, str]) -> None:
    outbox.record(
        subscriber,
        Change.Kind.SEND_MESSAGE,
        message=message,
        topic=topic.slug if topic else None,
        email=subscriber.email,
        language=subscriber.language,
        context=context,
    )
