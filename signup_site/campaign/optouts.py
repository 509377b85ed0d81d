"""Opt-outs: recorded locally at once, honoured by the site at once, then
queued for Campaign (delete the subscription; for "all", set blackListEmail).
"""

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import outbox
from .models import Change, OptOut, Subscriber, Topic


def active_optouts(subscriber: Subscriber) -> QuerySet[OptOut]:
    return OptOut.objects.filter(subscriber=subscriber, ended_at__isnull=True)


def is_suppressed(subscriber: Subscriber, topic_slug: str | None = None) -> bool:
    """True when the site must not send this person marketing email
    (about this topic, when one is named)."""
    scope = Q(topic__isnull=True)
    if topic_slug:
        scope |= Q(topic__slug=topic_slug)
    return active_optouts(subscriber).filter(scope).exists()


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
    OptOut.objects.filter(pk=optout.pk).update(reason=reason, reason_text=text[:1000])


def end_optouts(subscriber: Subscriber, topics: list[Topic], by: OptOut.Ended, *, everything: bool) -> None:
    """A new opt-in ends the opt-outs it contradicts (in the caller's transaction)."""
    scope = Q(topic__in=topics)
    if everything:
        scope |= Q(topic__isnull=True)
    active_optouts(subscriber).filter(scope).update(ended_at=timezone.now(), ended_by=by)
