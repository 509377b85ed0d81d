"""Opt down on the acs and v8 backends, over real HTTP to the emulators: what
reaches Campaign when a person chooses fewer emails (the brand's frequency
field), pauses (the blacklist set) and is resumed by the sweeper (cleared)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from signup_site.campaign.models import Change, LocalService, Pause, Subscriber, Topic, TopicTranslation
from signup_site.campaign.optdown import sweep_pauses
from signup_site.campaign.seed import seed_default_topics
from signup_site.web.links import Purpose, make_token
from tests.acs_support import Emulator, use_acs_emulator
from tests.helpers import link_in, run_worker, sign_up
from tests.v8_support import V8Emulator, start


def signed_up(client: Client, email: str) -> Subscriber:
    sign_up(client, email, Topic.objects.get(slug="newsletter"), first_name="Jane")
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()
    return Subscriber.objects.get(email=email)


def press(client: Client, subscriber: Subscriber, **data: str) -> None:
    """An opt-down button of the unsubscribe page, then the worker."""
    token = make_token(Purpose.UNSUBSCRIBE, s=subscriber.public_id.hex)
    assert client.post(f"/unsubscribe/{token}/fewer/", data).status_code == 303
    run_worker()


def resume_by_sweeper() -> None:
    sweep_pauses(Pause.objects.get().resumes_at + timedelta(seconds=1))
    run_worker()


# --- ACS --------------------------------------------------------------------------


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Emulator:
    seed_default_topics(Topic, TopicTranslation, LocalService)
    return use_acs_emulator(live_server, settings)


def test_acs_gets_the_frequency_in_its_custom_field_and_the_pause_as_the_blacklist(
    client: Client, acs: Emulator
) -> None:
    jane = signed_up(client, "jane@example.com")
    acs.clear_log()
    press(client, jane, frequency="weekly")
    [patch] = acs.log("acs")
    assert patch["method"] == "PATCH" and "/profileAndServicesExt/profile/" in patch["path"]
    assert patch["body"] == {"cusEmailFrequency": "weekly"}
    [profile] = acs.profiles("jane@example.com")
    assert profile["cusEmailFrequency"] == "weekly"

    acs.clear_log()
    press(client, jane, days="30")
    [patch] = acs.log("acs")
    assert patch["body"] == {"blackListEmail": True}
    assert acs.profiles("jane@example.com")[0]["blackListEmail"] is True

    acs.clear_log()
    resume_by_sweeper()
    assert [entry["body"] for entry in acs.log("acs") if entry["method"] == "PATCH"] == [
        {"blackListEmail": False}
    ]
    assert acs.profiles("jane@example.com")[0]["blackListEmail"] is False
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()


def test_acs_without_a_mapped_field_keeps_the_frequency_on_the_site(
    client: Client, acs: Emulator, settings: Any
) -> None:
    settings.ACS_EMAIL_FREQUENCY_FIELD = ""
    jane = signed_up(client, "jane@example.com")
    acs.clear_log()
    press(client, jane, frequency="monthly")
    assert acs.log("acs") == []  # nothing Campaign could take
    assert Subscriber.objects.get().email_frequency == "monthly"
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()


# --- v8 ---------------------------------------------------------------------------


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "ims")


def last_staged(v8: V8Emulator) -> dict[str, str]:
    attributes: dict[str, str] = v8.state()["staging"][-1]["attributes"]
    return attributes


def test_v8_stages_the_frequency_attribute_and_the_pause_as_the_blacklist(
    client: Client, v8: V8Emulator, newsletter: Topic
) -> None:
    jane = signed_up(client, "jane@example.com")
    v8.replicate()
    before = len(v8.actions())
    press(client, jane, frequency="weekly")
    assert v8.actions()[before:] == ["xtk:session#IngestExt"]
    assert last_staged(v8) == {"email": "jane@example.com", "emailFrequency": "weekly"}
    v8.replicate()
    [recipient] = v8.recipients()
    assert recipient["emailFrequency"] == "weekly"

    press(client, jane, days="60")
    assert last_staged(v8) == {"email": "jane@example.com", "blackListEmail": "1"}
    v8.replicate()
    assert v8.recipients()[0]["blackListEmail"] == "1"

    resume_by_sweeper()
    assert last_staged(v8) == {"email": "jane@example.com", "blackListEmail": "0"}
    v8.replicate()
    assert v8.recipients()[0]["blackListEmail"] == "0"
    assert v8.recipients()[0]["emailFrequency"] == "weekly"


def test_v8_unsubscribed_for_good_during_a_pause_stays_blacklisted(
    client: Client, v8: V8Emulator, newsletter: Topic
) -> None:
    jane = signed_up(client, "jane@example.com")
    press(client, jane, days="30")
    token = make_token(Purpose.UNSUBSCRIBE, s=jane.public_id.hex)
    assert client.post(f"/unsubscribe/{token}/", {"scope": "all"}).status_code == 303  # to the goodbye page
    run_worker()
    sweep_pauses(timezone.now() + timedelta(days=31))
    run_worker()
    v8.replicate()
    assert v8.recipients()[0]["blackListEmail"] == "1"
