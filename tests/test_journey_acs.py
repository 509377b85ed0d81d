"""The whole journey with CAMPAIGN_BACKEND=acs: the site driven by Django's
test client, the worker run in the test, and the real `acs` client talking
over HTTP to the ACS emulator on the live server. Assertions are on what
reached "Campaign" (the emulator's state and request log)."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from signup_site.campaign.backends import reset_backends
from signup_site.campaign.models import Change, Coupon, LocalService, Subscriber, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics
from tests.acs_support import ORGANIZATION, TRANSACTIONAL_API, Emulator, use_acs_emulator
from tests.helpers import html_of, link_in, make_due, path_of, run_worker, shown_in, sign_up


class RecordingClient(Client):
    """A test client that keeps every response the site gave."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses: list[Any] = []

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        self.responses.append(response)
        return response


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    # live_server flushes the database after each test: seed the topics again.
    seed_default_topics(Topic, TopicTranslation, LocalService)
    return use_acs_emulator(live_server, settings)


@pytest.fixture
def site() -> RecordingClient:
    return RecordingClient()


def topic(slug: str) -> Topic:
    return Topic.objects.get(slug=slug)


def confirm(site: Client) -> mail.EmailMessage:
    """Deliver the confirmation email, press its button, deliver the rest."""
    run_worker()
    confirmation = mail.outbox[-1]
    assert site.post(link_in(confirmation, "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()
    return confirmation


def walk_the_journey(site: RecordingClient, emulator: Emulator) -> None:
    """Sign up to both topics, confirm, follow the offer's Update Details link,
    change the last name, leave the offers topic on the opt-out page, and stop
    all email with a one-click POST."""
    sign_up(
        site,
        "jane@example.com",
        topic("newsletter"),
        topic("special-offers"),
        first_name="Jane",
        last_name="Doe",
    )
    run_worker()
    assert emulator.log() == []  # nothing reaches Campaign before confirmation
    confirmation = confirm(site)

    # Campaign has the profile, the subscriptions, and the special-offer event.
    [profile] = emulator.profiles("jane@example.com")
    assert (profile["firstName"], profile["lastName"], profile["preferredLanguage"]) == (
        "Jane",
        "Doe",
        "en_us",
    )
    assert emulator.subscriptions("jane@example.com") == ["NEWSLETTER", "SPECIAL_OFFERS"]
    [offer] = emulator.events()
    assert offer["eventId"] == "EVTspecialOffer"  # instead of the welcome
    assert offer["ctx"]["couponCode"] == Coupon.objects.get().code
    assert offer["ctx"]["firstName"] == "Jane"
    # What Campaign mailed: the emulator sends the event's ctx.
    assert Coupon.objects.get().code in mail.outbox[-1].body

    # Update Details: read live from Campaign by PKey, then PATCH what changed.
    emulator.clear_log()
    response = site.get(path_of(offer["ctx"]["preferencesUrl"]))
    assert response.status_code == 302
    page = site.get("/preferences/edit/")
    assert page.status_code == 200
    assert 'value="Doe"' in html_of(page)
    assert emulator.calls() == ["GET profile/{PKey}", "GET profile/{PKey}/subscriptions/"]
    form = {
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.com",
        "language": "en",
        "topics": ["NEWSLETTER", "SPECIAL_OFFERS"],
        "shown": shown_in(html_of(page)),
    }
    assert site.post("/preferences/edit/", form).status_code == 303
    emulator.clear_log()
    run_worker()
    assert emulator.calls() == ["PATCH profile/{PKey}"]
    assert emulator.log("acs")[0]["body"] == {"lastName": "Smith"}
    assert "Updated your last name." in html_of(site.get("/preferences/edit/"))

    # The opt-out page: GET changes nothing, POST leaves the offers topic.
    unsubscribe = path_of(offer["ctx"]["unsubscribeUrl"])
    assert site.get(unsubscribe).status_code == 200
    run_worker()
    assert emulator.subscriptions("jane@example.com") == ["NEWSLETTER", "SPECIAL_OFFERS"]
    assert site.post(unsubscribe, {"scope": "topic"}).status_code == 303
    emulator.clear_log()
    run_worker()
    assert emulator.subscriptions("jane@example.com") == ["NEWSLETTER"]
    assert "DELETE service/{PKey}/subscriptions/{PKey}" in emulator.calls()

    # RFC 8058 one-click on the all-email link: blackListEmail, no cookies, no CSRF.
    everything = link_in(confirmation, "/unsubscribe/")
    mail_provider = Client(enforce_csrf_checks=True)
    response = mail_provider.post(
        everything, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    site.responses.append(response)
    emulator.clear_log()
    run_worker()
    assert emulator.log("acs")[-1]["body"] == {"blackListEmail": True}
    [profile] = emulator.profiles("jane@example.com")
    assert (profile["lastName"], profile["blackListEmail"]) == ("Smith", True)
    # The preferences page no longer shows topics as if they were still sent (issue 14).
    stopped = html_of(site.get("/preferences/edit/"))
    assert "Subscribe me again" in stopped
    boxes = re.findall(r'<input[^>]*name="topics"[^>]*>', stopped)
    assert boxes and all(" disabled" in box and " checked" not in box for box in boxes)


def test_whole_journey_on_acs(site: RecordingClient, emulator: Emulator) -> None:
    walk_the_journey(site, emulator)
    state = emulator.state()
    assert len(state["profiles"]) == 1
    assert state["deleted_services"] == []  # never a DELETE on a service URL
    assert emulator.tokens_issued() == 1  # one token for the whole journey
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()


def test_no_pkey_appears_in_any_url_or_email_the_site_produces(
    site: RecordingClient, emulator: Emulator
) -> None:
    walk_the_journey(site, emulator)
    pkeys = emulator.pkeys()
    assert len(pkeys) >= 6  # profile, services, subscriptions, event
    produced = [
        "\n".join([response.content.decode(errors="replace"), *(f"{k}: {v}" for k, v in response.items())])
        for response in site.responses
    ]
    for message in mail.outbox:
        alternatives = [str(content) for content, _type in getattr(message, "alternatives", [])]
        produced.append(
            "\n".join([str(message.subject), str(message.body), *alternatives, str(message.extra_headers)])
        )
    produced += [str(event["ctx"]) for event in emulator.events()]  # what Campaign will put in its email
    assert len(produced) > 10
    for text in produced:
        for pkey in pkeys:
            assert pkey not in text


def test_one_confirmed_signup_with_one_topic_costs_these_requests(site: Client, emulator: Emulator) -> None:
    sign_up(site, "sam@example.com", topic("newsletter"), first_name="Sam")
    confirm(site)
    assert [(e["service"], e["method"]) for e in emulator.log("ims")] == [("ims", "POST")]
    assert emulator.calls() == [
        "GET profile/byEmail",
        "POST profile",
        "GET service/byText",
        "POST profile/{PKey}/subscriptions/",  # just created: no subscriptions to read
        f"POST {TRANSACTIONAL_API}/EVTwelcome",
    ]
    assert all(entry["path"].startswith(f"/{ORGANIZATION}/campaign/") for entry in emulator.log("acs"))


def test_a_429_reschedules_delivery_after_retry_after(site: Client, emulator: Emulator) -> None:
    sign_up(site, "slow@example.com", topic("newsletter"))
    emulator.throttle(times=1, retry_after=120)
    before = timezone.now()
    confirm(site)

    sync = Change.objects.get(kind=Change.Kind.SYNC_PROFILE)
    assert sync.status == Change.Status.PENDING
    assert sync.attempts == 1
    assert "CampaignThrottled" in sync.last_error
    assert sync.next_attempt_at >= before + timedelta(seconds=120)
    # One throttled call, then the worker moved on: no loop against Campaign.
    assert [entry["status"] for entry in emulator.log("acs")] == [429]

    make_due()
    run_worker()
    assert emulator.subscriptions("slow@example.com") == ["NEWSLETTER"]
    assert len(emulator.profiles("slow@example.com")) == 1


def test_a_validation_500_is_parked_not_retried(site: Client, emulator: Emulator) -> None:
    sign_up(site, "val@example.com", topic("newsletter"), first_name="Val")
    confirm(site)
    site.get(link_in(mail.outbox[-1], "/preferences/"))
    page = site.get("/preferences/edit/")
    form = {
        "first_name": "Valerie",
        "last_name": "",
        "email": "val@example.com",
        "language": "en",
        "shown": shown_in(html_of(page)),
    }
    site.post("/preferences/edit/", {**form, "topics": ["NEWSLETTER"]})
    emulator.fault(
        method="PATCH",
        status=500,
        body={"code": 500, "message": "Cannot update the 'firstName' property that is read-only"},
        times=10,
    )
    emulator.clear_log()
    run_worker()
    update = Change.objects.get(kind=Change.Kind.UPDATE_PROFILE)
    assert update.status == Change.Status.PARKED
    assert "CampaignRejected" in update.last_error and "read-only" in update.last_error
    make_due()
    run_worker()
    run_worker()
    assert [entry["method"] for entry in emulator.log("acs")] == ["PATCH"]
    assert Change.objects.get(pk=update.pk).attempts == 1


def test_preferences_page_answers_503_when_campaign_times_out(
    site: Client, emulator: Emulator, settings: Any
) -> None:
    sign_up(site, "late@example.com", topic("newsletter"))
    confirm(site)
    site.get(link_in(mail.outbox[-1], "/preferences/"))
    settings.ACS_READ_TIMEOUT_SECONDS = 0.3
    reset_backends()
    emulator.knobs(latency=1.0)
    emulator.clear_log()
    response = site.get("/preferences/edit/")
    assert response.status_code == 503
    assert response["Retry-After"]
    emulator.knobs(latency=0)


def test_the_preferences_page_reads_share_one_time_budget(
    site: Client, emulator: Emulator, settings: Any
) -> None:
    """Each read alone is within its timeout, but the person would wait for
    their sum: the page's budget stops the second read, and it answers 503."""
    sign_up(site, "budget@example.com", topic("newsletter"))
    confirm(site)
    site.get(link_in(mail.outbox[-1], "/preferences/"))
    settings.ACS_READ_TIMEOUT_SECONDS = 5.0
    reset_backends()
    emulator.knobs(latency=0.6)
    settings.CAMPAIGN_READ_BUDGET_SECONDS = 5.0
    assert site.get("/preferences/edit/").status_code == 200  # two reads of 0.6 s fit in 5 s
    settings.CAMPAIGN_READ_BUDGET_SECONDS = 0.9
    response = site.get("/preferences/edit/")  # the subscriptions read gets 0.3 s: not enough
    assert response.status_code == 503
    assert response["Retry-After"]
    emulator.knobs(latency=0)


def test_replaying_a_confirmation_after_a_crash_leaves_one_profile_and_one_subscription(
    site: Client, emulator: Emulator
) -> None:
    sign_up(site, "crash@example.com", topic("newsletter"))
    # The profile is created, then subscribing fails ...
    emulator.fault(method="POST", path="/subscriptions/", status=503, body={"error_code": "503000"})
    confirm(site)
    assert len(emulator.profiles("crash@example.com")) == 1
    assert emulator.subscriptions("crash@example.com") == []
    # ... and the worker "crashed" before it recorded the profile as synced:
    # the claim is stale and the cached PKey was never saved.
    Change.objects.filter(kind=Change.Kind.SYNC_PROFILE).update(
        status=Change.Status.IN_PROGRESS, claimed_at=timezone.now() - timedelta(hours=1)
    )
    Subscriber.objects.update(campaign_pkey="")
    make_due()
    run_worker()

    assert len(emulator.profiles("crash@example.com")) == 1
    assert emulator.subscriptions("crash@example.com") == ["NEWSLETTER"]
    assert emulator.calls().count("POST profile") == 1
    assert [event["eventId"] for event in emulator.events()] == ["EVTwelcome"]
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()
