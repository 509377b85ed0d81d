"""What one confirmed sign-up costs in Campaign calls, counted from the
emulators' own journals (what reached "Campaign"), not from our client.

Issue 15: in steady state (the service lookups cached by the worker), a
confirmed sign-up with one topic makes at most 4 calls to ACS and at most 3 to
v8; IMS token requests are counted apart, and a process asks for one token per
lifetime however many changes it delivers.
"""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.backends import get_backend
from signup_site.campaign.backends.acs import ACSBackend
from signup_site.campaign.backends.base import ProfileFields
from signup_site.campaign.delivery import NEW_PROFILE
from signup_site.campaign.models import Change, LocalService, Subscriber, Topic, TopicTranslation
from signup_site.campaign.outbox import deliver_one
from signup_site.campaign.privacy import export_data
from signup_site.campaign.seed import seed_default_topics
from tests.acs_support import TRANSACTIONAL_API, Emulator, use_acs_emulator
from tests.helpers import link_in, run_worker, sign_up
from tests.v8_support import V8Emulator, start

ACS_CALLS_PER_SIGNUP = 4
V8_CALLS_PER_SIGNUP = 3


def confirmed_signup(client: Client, email: str, topic: Topic) -> None:
    """Sign up to one topic, confirm by the emailed button, deliver everything."""
    sign_up(client, email, topic, first_name="Sam")
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Emulator:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 100  # many sign-ups from the test's one address
    seed_default_topics(Topic, TopicTranslation, LocalService)
    return use_acs_emulator(live_server, settings)


def newsletter() -> Topic:
    return Topic.objects.get(slug="newsletter")


def test_a_confirmed_signup_costs_at_most_four_acs_calls(client: Client, acs: Emulator) -> None:
    confirmed_signup(client, "first@example.com", newsletter())  # warms the service lookup
    acs.clear_log()
    confirmed_signup(client, "sam@example.com", newsletter())
    assert acs.calls() == [
        "GET profile/byEmail",
        "POST profile",
        "POST profile/{PKey}/subscriptions/",  # a profile just made has no subscriptions to read
        f"POST {TRANSACTIONAL_API}/EVTwelcome",
    ]
    assert len(acs.log("acs")) <= ACS_CALLS_PER_SIGNUP
    assert acs.log("ims") == []  # the token of the first sign-up still serves
    assert acs.subscriptions("sam@example.com") == ["NEWSLETTER"]


def test_an_existing_profile_is_still_read_before_subscribing(client: Client, acs: Emulator) -> None:
    """The shortcut is only for a profile the delivery has just created: a
    person Campaign knows already may be subscribed, so it is read first."""
    confirmed_signup(client, "sam@example.com", newsletter())
    acs.clear_log()
    confirmed_signup(client, "sam@example.com", Topic.objects.get(slug="special-offers"))
    calls = acs.calls()
    assert "POST profile" not in calls
    assert calls.index("GET profile/{PKey}/subscriptions/") < calls.index(
        "POST profile/{PKey}/subscriptions/"
    )
    assert acs.subscriptions("sam@example.com") == ["NEWSLETTER", "SPECIAL_OFFERS"]
    assert len(acs.profiles("sam@example.com")) == 1


def sign_up_and_deliver_the_sync(client: Client, email: str, *topics: Topic) -> Subscriber:
    """Confirm, then deliver only the profile sync: the subscribes wait."""
    sign_up(client, email, *topics, first_name="Sam")
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    person = Subscriber.objects.get(email=email)
    while person.changes.filter(kind=Change.Kind.SYNC_PROFILE, status=Change.Status.PENDING).exists():
        assert deliver_one()
    person.refresh_from_db()
    return person


def test_both_topics_of_a_new_profile_are_posted_without_reading(client: Client, acs: Emulator) -> None:
    offers = Topic.objects.get(slug="special-offers")
    sam = sign_up_and_deliver_the_sync(client, "sam@example.com", newsletter(), offers)
    # What the subscribes carry stays on the server: the data download leaves it out.
    pending = export_data(sam)["site"]["pending_changes"]
    assert [change["data"] for change in pending if change["kind"] == "subscribe"] == [
        {"service": "NEWSLETTER"},
        {"service": "SPECIAL_OFFERS"},
    ]
    assert all(c.payload[NEW_PROFILE] == sam.campaign_pkey for c in sam.changes.filter(kind="subscribe"))
    acs.clear_log()  # the download read the profile
    run_worker()
    calls = acs.calls()
    assert "GET profile/{PKey}/subscriptions/" not in calls
    assert calls.count("POST profile/{PKey}/subscriptions/") == 2
    assert acs.subscriptions("sam@example.com") == ["NEWSLETTER", "SPECIAL_OFFERS"]


def test_a_subscription_made_meanwhile_is_recognised(client: Client, acs: Emulator) -> None:
    """Another worker (or a retry whose answer was lost) subscribed the new
    profile already: the POST is a duplicate, read as subscribed."""
    sam = sign_up_and_deliver_the_sync(client, "sam@example.com", newsletter())
    get_backend().subscribe(sam.campaign_pkey, "NEWSLETTER")
    acs.clear_log()
    run_worker()
    assert not sam.changes.exclude(status=Change.Status.DONE).exists()
    assert acs.subscriptions("sam@example.com") == ["NEWSLETTER"]
    statuses = [(call, entry["status"]) for call, entry in zip(acs.calls(), acs.log("acs"), strict=True)]
    assert statuses[:2] == [
        ("POST profile/{PKey}/subscriptions/", 500),
        ("GET profile/{PKey}/subscriptions/", 200),
    ]


def test_a_profile_found_again_under_another_key_is_read_first(client: Client, acs: Emulator) -> None:
    """The knowledge holds for the profile that was created, not for the person."""
    sam = sign_up_and_deliver_the_sync(client, "sam@example.com", newsletter())
    # Campaign lost the new profile, and another one has the address now.
    backend = get_backend()
    assert isinstance(backend, ACSBackend)
    backend.client.request(
        "DELETE",
        backend.client.url(f"/profileAndServices/profile/{sam.campaign_pkey}"),
        action="profile.delete",
    )
    other = backend.create_profile(ProfileFields(email="sam@example.com"))
    backend.subscribe(other.pkey, "SPECIAL_OFFERS")
    acs.clear_log()
    run_worker()
    calls = acs.calls()
    # The POST to the lost profile is a 404; the person is found again, and read.
    assert calls[calls.index("GET profile/byEmail") :][:3] == [
        "GET profile/byEmail",
        "GET profile/{PKey}/subscriptions/",
        "POST profile/{PKey}/subscriptions/",
    ]
    assert acs.subscriptions("sam@example.com") == ["NEWSLETTER", "SPECIAL_OFFERS"]
    assert Subscriber.objects.get(pk=sam.pk).campaign_pkey == other.pkey


def test_one_ims_token_per_lifetime_for_many_changes(client: Client, acs: Emulator) -> None:
    for number in range(3):
        confirmed_signup(client, f"person{number}@example.com", newsletter())
    assert [entry["method"] for entry in acs.log("ims")] == ["POST"]
    assert len(acs.log("acs")) > 10

    acs.expire_tokens()  # the token's lifetime is over: one more, and only one
    acs.clear_log()
    for number in range(3, 6):
        confirmed_signup(client, f"person{number}@example.com", newsletter())
    assert [entry["method"] for entry in acs.log("ims")] == ["POST"]
    assert acs.tokens_issued() == 2


@pytest.fixture(params=["ims", "logon"])
def v8(request: pytest.FixtureRequest, settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    emulator = start(settings, live_server.url, request.param)
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 100
    settings.V8_MESSAGES = "rtevent"  # Campaign sends the email: its call counts too
    from signup_site.campaign.backends import reset_backends

    reset_backends()
    return emulator


def test_a_confirmed_signup_costs_at_most_three_v8_calls(
    client: Client, v8: V8Emulator, seeded: None
) -> None:
    confirmed_signup(client, "first@example.com", newsletter())  # logs on, in logon mode
    v8.clear_log("v8", "ims")
    confirmed_signup(client, "sam@example.com", newsletter())
    assert v8.actions() == [
        "xtk:session#IngestExt",  # an upsert by address: no lookup first
        "nms:subscription#Subscribe",
        "nms:rtEvent#PushEvent",
    ]
    assert len(v8.actions()) <= V8_CALLS_PER_SIGNUP
    assert v8.log("ims") == []
    v8.replicate()
    assert v8.subscriptions("sam@example.com") == {newsletter().service_name}
    [sam] = [row for row in v8.recipients() if row["email"] == "sam@example.com"]
    assert sam["firstName"] == "Sam"


def test_v8_token_once_per_lifetime(client: Client, v8: V8Emulator, seeded: None, settings: Any) -> None:
    if settings.V8_AUTH != "ims":
        pytest.skip("logon mode asks IMS for nothing")
    for number in range(3):
        confirmed_signup(client, f"person{number}@example.com", newsletter())
    assert len(v8.log("ims")) == 1
    v8.expire()
    v8.clear_log("ims")
    for number in range(3, 5):
        confirmed_signup(client, f"person{number}@example.com", newsletter())
    assert len(v8.log("ims")) == 1
