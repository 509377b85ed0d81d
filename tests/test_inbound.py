"""The worker's half of sign-up and "email me my link": the pages answer
before any lookup (tests/test_same_work.py), and the worker looks the
address up, acts, and deletes the request; a failure stays a row, a lost
wake-up or a dead worker is covered by the sweeper."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from signup_site.campaign import outbox
from signup_site.campaign.models import (
    Change,
    ConsentRecord,
    InboundRequest,
    PendingSignup,
    Subscriber,
    Topic,
)
from tests.helpers import link_in, run_worker
from tests.test_same_work import CASES, LIMIT, make_person

pytestmark = pytest.mark.django_db


def test_the_worker_acts_on_what_the_pages_took_in(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = LIMIT
    emails = {case: make_person(case, "preferences-link", newsletter) for case in CASES}
    for email in emails.values():
        assert client.post("/preferences/", {"email": email}).status_code == 303  # to "check your email"
    client.post("/signup/", {"email": "new@example.com", "language": "en", "topics": [newsletter.pk]})

    # Answered before any lookup: nothing but the requests themselves yet.
    assert InboundRequest.objects.count() == 5
    assert not Subscriber.objects.filter(email="new@example.com").exists()
    assert not Change.objects.filter(status=Change.Status.PENDING).exists()

    run_worker()
    sent = sorted((message.to[0], message.subject) for message in mail.outbox)
    assert [to for to, _subject in sent] == ["known@example.com", "new@example.com", "suppressed@example.com"]
    # The worker's links need no request: absolute, signed, and they open the page.
    link = link_in(next(m for m in mail.outbox if m.to == ["known@example.com"]), "/preferences/")
    assert client.get(link)["Location"] == "/preferences/edit/"
    assert PendingSignup.objects.get().subscriber.email == "new@example.com"
    # Each request is gone once acted on: an unknown address leaves no trace.
    assert not InboundRequest.objects.exists()
    assert not Subscriber.objects.filter(email="unknown@example.com").exists()


@pytest.mark.django_db(transaction=True)
def test_the_request_wakes_the_worker_and_the_sweeper_covers_a_lost_wake_up(
    client: Client, newsletter: Topic
) -> None:
    from django_tasks_db.models import DBTaskResult

    client.post("/preferences/", {"email": "anyone@example.com"})
    assert DBTaskResult.objects.count() == 1  # enqueued when the request committed
    DBTaskResult.objects.all().delete()  # ... and lost
    assert outbox.sweep() == 1
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert not InboundRequest.objects.exists()


def test_consent_evidence_keeps_the_time_and_client_of_the_request(client: Client, newsletter: Topic) -> None:
    client.post(
        "/signup/?from=footer",
        {"email": "late@example.com", "language": "en", "topics": [newsletter.pk]},
        HTTP_USER_AGENT="Browser/2.0",
        REMOTE_ADDR="198.51.100.4",
    )
    # The worker was down for ten minutes.
    asked = timezone.now() - timedelta(minutes=10)
    InboundRequest.objects.update(created_at=asked)
    run_worker()
    record = ConsentRecord.objects.get()
    assert (record.created_at, record.ip_address, record.user_agent, record.source) == (
        asked,
        "198.51.100.4",
        "Browser/2.0",
        "/signup/?from=footer",
    )
    assert record.topics == ["NEWSLETTER"]
    assert PendingSignup.objects.get().created_at == asked


def test_a_crash_part_way_loses_nothing_and_the_request_is_tried_again(
    client: Client, newsletter: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/signup/", {"email": "crash@example.com", "language": "en", "topics": [newsletter.pk]})

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the worker died here")

    # After the subscriber, the sign-up and the consent record were written.
    monkeypatch.setattr("signup_site.campaign.signups.queue_site_email", crash)
    run_worker()
    taken = InboundRequest.objects.get()
    assert (taken.status, taken.attempts) == (InboundRequest.Status.PENDING, 1)
    assert taken.last_error == "RuntimeError: the worker died here"
    assert taken.next_attempt_at > timezone.now()
    assert not Subscriber.objects.exists()
    assert not ConsentRecord.objects.exists()

    monkeypatch.undo()
    run_worker()
    assert InboundRequest.objects.filter(pk=taken.pk).exists(), "retried before its backoff ended"
    InboundRequest.objects.update(next_attempt_at=timezone.now())  # its backoff has passed
    run_worker()
    assert not InboundRequest.objects.exists()
    assert [m.to for m in mail.outbox] == [["crash@example.com"]]
    assert ConsentRecord.objects.count() == 1


def test_a_request_claimed_by_a_worker_that_died_is_put_back(client: Client, newsletter: Topic) -> None:
    client.post("/preferences/", {"email": "nobody@example.com"})
    InboundRequest.objects.update(
        status=InboundRequest.Status.IN_PROGRESS, claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    assert outbox.sweep() == 1
    run_worker()
    assert not InboundRequest.objects.exists()


def test_without_double_opt_in_the_worker_confirms_the_sign_up(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_DOUBLE_OPT_IN = False
    client.post("/signup/", {"email": "quick@example.com", "language": "en", "topics": [newsletter.pk]})
    assert not Subscriber.objects.exists()
    run_worker()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    assert [m.subject for m in mail.outbox] == ["Welcome! You are signed up"]


def test_a_failed_request_is_listed_in_the_admin_without_the_address_and_counted_by_healthz(
    client: Client, admin_client: Client, newsletter: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/preferences/", {"email": "private@example.com"})
    assert client.get("/healthz").json()["requests_waiting"] == 1

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("lookup failed")

    monkeypatch.setattr("signup_site.campaign.preferences.sent_recently", crash)
    make_person("known", "preferences-link", newsletter)
    client.post("/preferences/", {"email": "known@example.com"})
    run_worker()
    assert client.get("/healthz").json()["requests_waiting"] == 1
    failed = InboundRequest.objects.get()
    listing = admin_client.get(reverse("admin:campaign_inboundrequest_changelist"))
    assert listing.status_code == 200
    assert b"RuntimeError: lookup failed" in listing.content
    detail = admin_client.get(reverse("admin:campaign_inboundrequest_change", args=[failed.pk]))
    assert detail.status_code == 200
    assert b"known@example.com" not in listing.content + detail.content
