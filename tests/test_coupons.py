"""Gift coupons: one per person per offer, ever; unique under races."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client

from signup_site.campaign import coupons
from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import Coupon, LocalMessage, Subscriber, Topic
from tests.helpers import confirm_latest, run_worker, sign_up


def run_together(workers: int, target: Callable[[int], None]) -> list[BaseException]:
    """Start `workers` threads at one barrier; each gets its own DB connection."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(index)
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("a.b+x@gmail.com", "ab@gmail.com"),
        ("A.B@googlemail.com", "ab@gmail.com"),
        ("jane+news@example.com", "Jane@Example.com"),
    ],
)
def test_aliases_are_one_person(a: str, b: str) -> None:
    assert person_key(a) == person_key(b)


def test_dots_matter_outside_gmail() -> None:
    assert person_key("a.b@example.com") != person_key("ab@example.com")


def test_generated_codes_are_unique_and_unguessable() -> None:
    codes = {coupons.generate_code("GIFT-") for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        body = code.removeprefix("GIFT-").replace("-", "")
        assert len(body) == 12
        assert set(body) <= set(coupons.ALPHABET)


@pytest.mark.django_db
def test_one_coupon_per_person_across_aliases_and_resignups(client: Client, offers: Topic) -> None:
    sign_up(client, "a.b+x@gmail.com", offers)
    confirm_latest(client)
    sign_up(client, "ab@gmail.com", offers)
    confirm_latest(client)
    sign_up(client, "AB@Gmail.com", offers)  # the second address again, re-signing up
    confirm_latest(client)

    assert Subscriber.objects.count() == 2
    assert Coupon.objects.count() == 1
    offer_emails = [m for m in mail.outbox if "coupon" in m.subject.lower()]
    assert len(offer_emails) == 1
    # The second address got the welcome email instead of a second coupon.
    assert list(LocalMessage.objects.order_by("id").values_list("name", flat=True)) == [
        "special-offer",
        "welcome",
    ]


@pytest.mark.django_db
def test_one_mailbox_spelled_four_ways_is_one_subscriber_with_one_coupon(
    client: Client, offers: Topic, settings: Any
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 10  # four sign-ups of one mailbox in an hour, on purpose
    # The abuse report's spellings of one domain: precomposed é, a combining
    # accent, the A-label, capitals.
    for spelling in (
        "jane@café.example",
        "jane@cafe\u0301.example",
        "jane@xn--caf-dma.example",
        "JANE@CAFÉ.EXAMPLE",
    ):
        sign_up(client, spelling, offers)
        confirm_latest(client)

    assert list(Subscriber.objects.values_list("email", "person_key")) == [
        ("jane@xn--caf-dma.example", "jane@xn--caf-dma.example")
    ]
    assert Coupon.objects.filter(holder_key__isnull=False).count() == 1
    assert len([m for m in mail.outbox if "coupon" in m.subject.lower()]) == 1
    assert {recipient for message in mail.outbox for recipient in message.to} == {"jane@xn--caf-dma.example"}


@pytest.mark.django_db
def test_quoted_spellings_of_a_coupon_holders_address_are_refused(client: Client, offers: Topic) -> None:
    sign_up(client, "qq@gmail.com", offers)
    confirm_latest(client)
    for spelling in ('"qq"@gmail.com', '"q\\q"@gmail.com'):
        response = client.post("/signup/", {"email": spelling, "language": "en", "topics": [str(offers.pk)]})
        assert response.status_code == 200
        assert "without quotation marks" in response.content.decode()
    run_worker()

    assert Subscriber.objects.count() == 1
    assert Coupon.objects.filter(holder_key__isnull=False).count() == 1
    assert len(mail.outbox) == 2  # the confirmation and the one coupon


@pytest.mark.django_db
def test_pool_coupons_are_taken_in_turn_and_exhaustion_falls_back_to_welcome(
    client: Client, offers: Topic
) -> None:
    offers.coupon_source = Topic.CouponSource.POOL
    offers.save()
    added, skipped = coupons.import_pool(offers, b"code\nPOOL-1\nPOOL-2\nPOOL-1\n\n")
    assert (added, skipped) == (2, 1)

    for address in ("one@example.com", "two@example.com", "three@example.com"):
        sign_up(client, address, offers)
        confirm_latest(client)

    held = dict(Coupon.objects.values_list("subscriber__email", "code"))
    assert held == {"one@example.com": "POOL-1", "two@example.com": "POOL-2"}
    names = list(LocalMessage.objects.order_by("id").values_list("name", "email"))
    assert names[-1] == ("welcome", "three@example.com")


def _subscribers(count: int, *, same_person: bool) -> list[Subscriber]:
    people = []
    for i in range(count):
        email = f"a.b+{i}@gmail.com" if same_person else f"racer{i}@example.com"
        people.append(Subscriber.objects.create(email=email, person_key=person_key(email)))
    return people


@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_of_one_person_issue_one_generated_coupon(offers: Topic) -> None:
    people = _subscribers(8, same_person=True)
    results: list[str] = []

    def allocate(index: int) -> None:
        from django.db import transaction

        with transaction.atomic():
            coupon, _issued = coupons.allocate(offers, people[index])
        results.append(coupon.code)

    assert run_together(8, allocate) == []
    assert Coupon.objects.count() == 1
    assert set(results) == {Coupon.objects.get().code}


@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_never_hand_out_a_pool_code_twice(offers: Topic) -> None:
    offers.coupon_source = Topic.CouponSource.POOL
    offers.save()
    coupons.import_pool(offers, "\n".join(f"CODE-{i}" for i in range(6)).encode())
    people = _subscribers(8, same_person=False)
    outcomes: list[str] = []

    def allocate(index: int) -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                coupon, _issued = coupons.allocate(offers, people[index])
            outcomes.append(coupon.code)
        except coupons.CouponsExhausted:
            outcomes.append("exhausted")

    assert run_together(8, allocate) == []
    codes = [o for o in outcomes if o != "exhausted"]
    assert len(codes) == 6
    assert len(set(codes)) == 6
    assert outcomes.count("exhausted") == 2
    assert Coupon.objects.filter(holder_key__isnull=False).count() == 6
