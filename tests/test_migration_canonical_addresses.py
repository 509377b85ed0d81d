"""Migration 0006: stored addresses in canonical spelling where no other
subscriber holds it, person and coupon keys recomputed, refused ones untouched."""

import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client

from signup_site.campaign.models import Coupon, PendingEmailChange, Subscriber, Topic
from tests.helpers import confirm_latest, sign_up

pytestmark = pytest.mark.django_db

migration = importlib.import_module("signup_site.campaign.migrations.0006_canonical_addresses")


def stored(email: str) -> Subscriber:
    """A subscriber as the code before canonical addresses stored one: trimmed, lower-cased."""
    return Subscriber.objects.create(email=email, person_key=email)


def coupon(offers: Topic, code: str, subscriber: Subscriber | None, holder_key: str) -> Coupon:
    return Coupon.objects.create(topic=offers, code=code, subscriber=subscriber, holder_key=holder_key)


def test_stored_spellings_are_made_canonical_where_that_is_safe(client: Client, offers: Topic) -> None:
    precomposed = stored("jane@café.example")
    combining = stored("jane@cafe\u0301.example")  # the same mailbox: its canonical spelling is taken
    refused = stored("x@localhost")
    canonical = stored("ok@example.com")
    coupon(offers, "GIFT-1", precomposed, "jane@café.example")
    coupon(offers, "GIFT-2", combining, "jane@cafe\u0301.example")  # the abuse that already happened
    coupon(offers, "GIFT-3", None, "lee@straße.example")  # its subscriber was deleted
    change = PendingEmailChange.objects.create(subscriber=canonical, new_email="New@Café.example")

    migration.canonicalise(apps, None)

    emails = dict(Subscriber.objects.values_list("pk", "email"))
    assert emails == {
        precomposed.pk: "jane@xn--caf-dma.example",
        combining.pk: "jane@cafe\u0301.example",  # kept apart, not merged
        refused.pk: "x@localhost",
        canonical.pk: "ok@example.com",
    }
    keys = set(Subscriber.objects.filter(pk__in=[precomposed.pk, combining.pk]).values_list("person_key"))
    assert keys == {("jane@xn--caf-dma.example",)}
    holders = dict(Coupon.objects.values_list("code", "holder_key"))
    assert holders == {
        "GIFT-1": "jane@xn--caf-dma.example",
        "GIFT-2": "jane@cafe\u0301.example",  # the key is taken for this offer
        "GIFT-3": "lee@xn--strae-oqa.example",
    }
    change.refresh_from_db()
    assert change.new_email == "new@xn--caf-dma.example"

    # Neither the person behind both rows nor the deleted one wins again.
    for spelling in ("JANE@CAFÉ.example", "lee@Straße.example"):
        sign_up(client, spelling, offers)
        confirm_latest(client)
    assert Coupon.objects.count() == 3
    assert not [m for m in mail.outbox if "coupon" in m.subject.lower()]


def test_running_it_twice_changes_nothing_more(offers: Topic) -> None:
    stored("jane@café.example")
    stored("jane@xn--caf-dma.example")
    migration.canonicalise(apps, None)
    before = list(Subscriber.objects.order_by("pk").values_list("email", "person_key"))
    migration.canonicalise(apps, None)
    assert list(Subscriber.objects.order_by("pk").values_list("email", "person_key")) == before
    assert before == [
        ("jane@café.example", "jane@xn--caf-dma.example"),
        ("jane@xn--caf-dma.example", "jane@xn--caf-dma.example"),
    ]
