"""Campaign throttling (429 with Retry-After): the outbox comes back when
Campaign says, not after the backoff for an outage, so a burst drains at the
rate Campaign allows (issue 15, goal 5)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from signup_site.campaign import outbox
from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import Change, Subscriber
from tests.acs_support import use_acs_emulator

pytestmark = pytest.mark.django_db(transaction=True)


def queued_message() -> Change:
    email = "busy@example.com"
    subscriber = Subscriber.objects.create(
        email=email, person_key=person_key(email), status=Subscriber.Status.CONFIRMED
    )
    return Change.objects.create(
        subscriber=subscriber, kind=Change.Kind.SEND_MESSAGE, payload={"message": "welcome", "email": email}
    )


def test_a_throttled_change_comes_back_after_retry_after_not_the_outage_backoff(
    live_server: Any, settings: Any
) -> None:
    settings.CAMPAIGN_RETRY_BASE_SECONDS = 60  # an outage's first wait: 30 to 60 s
    emulator = use_acs_emulator(live_server, settings)
    emulator.throttle(times=1, retry_after=2)
    change = queued_message()
    before = timezone.now()

    outbox.deliver_one()

    change.refresh_from_db()
    assert (change.status, change.failure) == (Change.Status.PENDING, Change.Failure.UNAVAILABLE)
    assert "429" in change.last_error
    # Retry-After, and a little spread so that throttled changes do not all return at once.
    assert before + timedelta(seconds=2) <= change.next_attempt_at <= timezone.now() + timedelta(seconds=3)


def test_a_throttled_change_is_delivered_once_retry_after_has_passed(live_server: Any, settings: Any) -> None:
    emulator = use_acs_emulator(live_server, settings)
    emulator.throttle(times=1, retry_after=1)
    change = queued_message()
    outbox.deliver_one()
    Change.objects.filter(pk=change.pk).update(next_attempt_at=timezone.now())  # the second has passed

    outbox.deliver_one()

    change.refresh_from_db()
    assert change.status == Change.Status.DONE
    assert [event["email"] for event in emulator.events()] == ["busy@example.com"]
