"""Changing a person's email address: the new address confirms it, then the
profile is updated and the old address is told."""

from django.db import transaction
from django.utils import timezone

from . import outbox
from .addresses import canonical_address
from .emails import Links, queue_site_email
from .models import Change, PendingEmailChange, Subscriber


class AddressTaken(Exception):
    """Another subscriber already uses the new address."""


def request_email_change(subscriber: Subscriber, new_email: str, links: Links) -> PendingEmailChange:
    """Hold the new address, in its canonical spelling, and email it a
    confirmation link (in the caller's transaction)."""
    new_email = canonical_address(new_email)
    change = PendingEmailChange.objects.create(subscriber=subscriber, new_email=new_email)
    queue_site_email(
        subscriber,
        "email-change-confirm",
        to=new_email,
        language=subscriber.language,
        context={"firstName": subscriber.first_name, "confirmUrl": links.email_change_url(change)},
    )
    return change


def find_email_change(public_id: object) -> PendingEmailChange | None:
    """The pending change an email-change link names."""
    return PendingEmailChange.objects.select_related("subscriber").by_public_id(public_id)


def confirm_email_change(change: PendingEmailChange) -> None:
    """Apply a confirmed new address, and tell the old one. Idempotent.

    Raises `AddressTaken` when another subscriber has the address meanwhile.
    """
    with transaction.atomic():
        change = PendingEmailChange.objects.select_for_update().get(pk=change.pk)
        if change.confirmed_at is not None:
            return
        subscriber = Subscriber.objects.select_for_update().get(pk=change.subscriber_id)
        if Subscriber.objects.filter(email=change.new_email).exclude(pk=subscriber.pk).exists():
            raise AddressTaken
        old_email = subscriber.email
        change.confirmed_at = timezone.now()
        change.save(update_fields=["confirmed_at"])
        # person_key stays: the person is the same, and so is their coupon.
        subscriber.email = change.new_email
        subscriber.save(update_fields=["email"])
        outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, email=change.new_email)
        queue_site_email(
            subscriber,
            "email-changed",
            to=old_email,
            language=subscriber.language,
            # No preferences link: the old address no longer owns this subscription.
            context={"firstName": subscriber.first_name},
        )
