"""The sign-up verbs: take a sign-up in, hold it until it is confirmed, then
confirm it.

The page's verb, `start_signup`, only records the request: the worker's
`take_signup` looks the address up and acts, so the page answers alike for
everyone. Each step changes local state and queues what Campaign must learn
in one transaction; none waits on Campaign. On confirmation the checkbox-driven flows
run: a topic's opt-in message, and for a special offer a gift coupon with the
special-offer email instead of the welcome email.
"""

import logging
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import coupons, outbox
from .addresses import canonical_address, person_key
from .config import campaign_config
from .delivery import is_suppressed
from .emails import Links, links_context, provided_links, queue_site_email, sent_recently
from .erasure import lift_erasure, was_erased
from .models import Change, ConsentRecord, Coupon, InboundRequest, OptOut, PendingSignup, Subscriber, Topic
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
    # The coupons issued by this confirmation: their value, expiry and shop.
    offers: tuple[coupons.IssuedOffer, ...] = ()


def signup_topics() -> QuerySet[Topic]:
    """The topics offered as checkboxes on the sign-up page, in order."""
    return Topic.objects.filter(active=True, show_on_signup=True).prefetch_related("translations")


def _record_consent(
    subscriber: Subscriber,
    signup: PendingSignup,
    kind: ConsentRecord.Kind,
    evidence: Evidence,
    topics: tuple[Topic, ...],
    at: datetime | None = None,
) -> None:
    ConsentRecord.objects.create(
        created_at=at or timezone.now(),
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


def _as_requested(signup: PendingSignup, evidence: Evidence) -> Evidence:
    """A confirmation confirms the statement the sign-up form showed, even
    when a newer version is current by the time the link is pressed (the
    confirmation page shows none)."""
    requests = ConsentRecord.objects.filter(signup=signup, kind=ConsentRecord.Kind.REQUEST)
    requested = requests.order_by("pk").first()
    if requested is None:
        return evidence
    return replace(
        evidence,
        language=requested.language,
        wording_version=requested.wording_version,
        wording_sha256=requested.wording_sha256,
    )


def start_signup(request: SignupRequest, evidence: Evidence, links: Links) -> None:
    """Take a sign-up in: record what was submitted and the consent evidence,
    and return. The worker holds it until confirmed (`take_signup`).

    Nothing is looked up here, so the page answers the same, with the same
    work, whether the address is unknown, known, opted out or at its limit:
    neither its words nor how long it takes tell whether someone is known.
    The worker makes the confirmation link with the links the web app
    provided (`emails.provided_links`), the same as `links`.

    Raises `AddressRefused` for an address the sign-up form would have refused.
    """
    email = canonical_address(request.email)
    with transaction.atomic():
        outbox.take_in(
            InboundRequest.Kind.SIGNUP,
            email,
            first_name=request.first_name,
            last_name=request.last_name,
            language=request.language,
            topics=[topic.pk for topic in request.topics],
            evidence={
                **asdict(evidence),
                "user_agent": evidence.user_agent[:512],
                "source": evidence.source[:512],
            },
        )


def take_signup(taken: InboundRequest) -> None:
    """The worker's half of a sign-up: hold it until confirmed and send the
    confirmation email. A confirmed subscriber is never downgraded: nothing
    changes for them until they confirm again.

    The subscriber is found by the address's canonical spelling, so every
    spelling of one mailbox is one subscriber. The consent record keeps the
    time of the request, not of this step.
    """
    data = taken.payload
    email = taken.email
    topics = tuple(Topic.objects.filter(pk__in=data["topics"]))
    evidence = Evidence(**data["evidence"])
    links = provided_links()
    with transaction.atomic():
        subscriber, _created = Subscriber.objects.get_or_create(
            email=email,
            defaults={
                "person_key": person_key(email),
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "language": data["language"],
            },
        )
        signup = PendingSignup.objects.create(
            subscriber=subscriber,
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=data["language"],
            created_at=taken.created_at,
        )
        signup.topics.set(topics)
        _record_consent(subscriber, signup, ConsentRecord.Kind.REQUEST, evidence, topics, at=taken.created_at)
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


def awaiting_confirmation(subscriber: Subscriber) -> PendingSignup | None:
    """The latest sign-up of someone who has never confirmed one, while it
    waits for confirmation: what the preferences page shows them instead of
    a form of a profile Campaign does not have yet."""
    if subscriber.status != Subscriber.Status.PENDING:
        return None
    waiting = subscriber.signups.filter(confirmed_at__isnull=True).order_by("-created_at", "-pk")
    return waiting.prefetch_related("topics__translations").first()


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


def confirmation_of(signup: PendingSignup) -> Confirmation | None:
    """What confirming `signup` did, read back for the page that reports it
    (reloaded, or in another language); None while it is unconfirmed.

    Its coupons are those issued to the person, for its topics, since it was
    confirmed: one per person per offer ever, so a later confirmation issues none.
    """
    if signup.confirmed_at is None:
        return None
    topics = tuple(signup.topics.filter(active=True).prefetch_related("translations"))
    issued = Coupon.objects.filter(
        subscriber_id=signup.subscriber_id, topic__in=topics, issued_at__gte=signup.confirmed_at
    ).order_by("issued_at")
    by_id = {topic.pk: topic for topic in topics}
    offers = tuple(coupons.IssuedOffer(by_id[coupon.topic_id], coupon) for coupon in issued)
    return Confirmation(
        signup, already_confirmed=False, topics=topics, coupon_issued=bool(offers), offers=offers
    )


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
    signup.subscriber = subscriber  # the page goes on with them: not read again
    topics = tuple(signup.topics.filter(active=True).prefetch_related("translations"))
    confirmed = _as_requested(signup, evidence)
    _record_consent(subscriber, signup, ConsentRecord.Kind.CONFIRMATION, confirmed, topics)
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
    offers: list[coupons.IssuedOffer] = []
    for topic in topics:
        if topic.is_special_offer:
            try:
                coupon, issued = coupons.allocate(topic, subscriber)
            except coupons.CouponsExhausted:
                logger.error("offer %s has no coupons left", topic.slug)
                continue
            if issued:
                offer = coupons.IssuedOffer(topic, coupon)
                _send(
                    subscriber,
                    topic.message_on_opt_in,
                    topic,
                    {
                        **context,
                        **offer.email_context(subscriber.language),
                        "unsubscribeUrl": links.unsubscribe_url(subscriber, topic),
                    },
                )
                offers.append(offer)
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
    return Confirmation(
        signup, already_confirmed=False, topics=topics, coupon_issued=offer_sent, offers=tuple(offers)
    )


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
