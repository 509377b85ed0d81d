"""The sign-up verbs: hold a sign-up until it is confirmed, then confirm it.

Each one changes local state and queues what Campaign must learn in one
transaction; none waits on Campaign. On confirmation the checkbox-driven flows
run: a topic's opt-in message, and for a special offer a gift coupon with the
special-offer email instead of the welcome email.
"""

import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import coupons, outbox
from .addresses import canonical_address, person_key
from .config import campaign_config
from .delivery import is_suppressed
from .emails import Links, links_context, queue_site_email, sent_recently
from .erasure import lift_erasure, was_erased
from .models import Change, ConsentRecord, OptOut, PendingSignup, Subscriber, Topic
from .optouts import end_optouts

logger = logging.getLogger(__name__)

CONFIRM_TEMPLATE = "signup-confirm"


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


def start_signup(request: SignupRequest, evidence: Evidence, links: Links) -> None:
    """Hold a sign-up until confirmed and send the confirmation email.

    The caller answers the same whatever happens here, so that the page does
    not tell whether an address is known. A confirmed subscriber is never
    downgraded: nothing changes for them until they confirm again.

    The subscriber is found by the address's canonical spelling, so every
    spelling of one mailbox is one subscriber; raises `AddressRefused` for an
    address the sign-up form would have refused.
    """
    email = canonical_address(request.email)
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
        # Someone who stopped all email, or asked to be erased, must confirm
        # again, whatever the setting: only a confirmed sign-up lifts that.
        config = campaign_config()
        if not config.double_opt_in and not is_suppressed(subscriber) and not was_erased(email):
            _confirm(signup, evidence, links)
            return
        if sent_recently(subscriber, CONFIRM_TEMPLATE) >= config.emails_per_hour:
            logger.info("sign-up %s: confirmation email withheld (rate limit)", signup.pk)
            return
        queue_site_email(
            subscriber,
            CONFIRM_TEMPLATE,
            to=subscriber.email,
            language=signup.language,
            context={
                **links_context(subscriber, links),
                "firstName": signup.first_name,
                "confirmUrl": links.confirm_url(signup),
            },
        )


def find_signup(public_id: object) -> PendingSignup | None:
    """The pending sign-up a confirmation link names (none of an erased person)."""
    signup = PendingSignup.objects.select_related("subscriber").by_public_id(public_id)
    if signup is None or signup.subscriber.status == Subscriber.Status.ERASED:
        return None
    return signup


def confirm_signup(public_id: uuid.UUID, evidence: Evidence, links: Links) -> Confirmation | None:
    """Confirm a pending sign-up; None when there is no such sign-up.

    Confirming twice is harmless: the second time changes nothing.
    """
    with transaction.atomic():
        signup = PendingSignup.objects.select_for_update().by_public_id(public_id)
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
    end_optouts(subscriber, list(topics), OptOut.Ended.RECONFIRMED, everything=True)
    lift_erasure(subscriber.email)

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

    context = links_context(subscriber, links)
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
                    topic.message_on_opt_in,
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
    welcome = campaign_config().welcome_message
    if first_confirmation and not offer_sent and welcome:
        _send(subscriber, welcome, None, context)
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
