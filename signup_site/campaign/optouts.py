"""The opt-out verbs: recorded locally at once, honoured by the site at once
(see `delivery.is_suppressed`), then queued for Campaign (delete the
subscription; for "all", set blackListEmail)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import optdown, outbox
from .delivery import active_optouts
from .models import Change, OptOut, Pause, Subscriber, Topic


@dataclass(frozen=True)
class UnsubscribeTarget:
    """What an unsubscribe link names: the person, and the topic (None: all
    email), unless `topic_gone`: the link named a topic that no longer exists
    (deleted since the email went out). Such a link names neither that topic
    nor all email, and opts out of nothing by itself."""

    subscriber: Subscriber
    topic: Topic | None
    topic_gone: bool = False


def find_unsubscribe_target(subscriber_id: object, topic_slug: object = None) -> UnsubscribeTarget | None:
    """The person and topic an unsubscribe link names; None for an unknown person.

    A link without a topic is about all email; a link whose topic is gone
    comes back with `topic=None, topic_gone=True`, never as "all email".
    """
    subscriber = Subscriber.objects.by_public_id(subscriber_id)
    if subscriber is None or subscriber.status == Subscriber.Status.ERASED:
        return None
    if not topic_slug:
        return UnsubscribeTarget(subscriber, None)
    topic = Topic.objects.filter(slug=str(topic_slug)).first()
    return UnsubscribeTarget(subscriber, topic, topic_gone=topic is None)


def find_own_optout(subscriber: Subscriber, public_id: object) -> OptOut | None:
    """The opt-out a goodbye page's form names, if it is this person's."""
    return OptOut.objects.select_related("topic").filter(subscriber=subscriber).by_public_id(public_id)


def opt_out(subscriber: Subscriber, topic: Topic | None, via: OptOut.Via) -> OptOut:
    """Opt the person out of one topic, or of all email (`topic=None`).

    Repeating it (a second click, a mail client's retry) changes nothing more.
    """
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        existing = active_optouts(subscriber).filter(topic=topic).first()
        if existing:
            return existing
        if topic is None:
            # For good: a pause on now ends here, and nothing will resume it.
            optdown.end_pauses_for_good(subscriber)
            change = outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, blacklist_email=True)
        else:
            change = outbox.record(subscriber, Change.Kind.UNSUBSCRIBE, service=topic.service_name)
        return OptOut.objects.create(subscriber=subscriber, topic=topic, via=via, change=change)


def undo_opt_out(optout: OptOut) -> bool:
    """Restore exactly what the opt-out removed. False if it had already ended."""
    with transaction.atomic():
        ended = OptOut.objects.filter(pk=optout.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=OptOut.Ended.UNDONE
        )
        if not ended:
            return False
        if optout.topic is None:
            outbox.record(optout.subscriber, Change.Kind.UPDATE_PROFILE, blacklist_email=False)
        else:
            outbox.record(optout.subscriber, Change.Kind.SUBSCRIBE, service=optout.topic.service_name)
        return True


def record_reason(optout: OptOut, reason: str, text: str) -> None:
    """Keep the reason a person gave on the goodbye page."""
    OptOut.objects.filter(pk=optout.pk).update(reason=reason, reason_text=text[:1000])


def end_optouts(subscriber: Subscriber, topics: list[Topic], by: OptOut.Ended, *, everything: bool) -> None:
    """A new opt-in ends the opt-outs it contradicts (in the caller's transaction)."""
    scope = Q(topic__in=topics)
    if everything:
        scope |= Q(topic__isnull=True)
        # The confirmation lifts the blacklist a pause set too.
        Pause.objects.filter(subscriber=subscriber, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=Pause.Ended.RECONFIRMED
        )
    active_optouts(subscriber).filter(scope).update(ended_at=timezone.now(), ended_by=by)
