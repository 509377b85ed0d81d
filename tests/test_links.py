"""Signed links: tampered, expired, misdirected or rotated tokens get a
friendly page, never a 500 and never anyone's data."""

import time
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.models import PendingSignup, Subscriber, Topic
from signup_site.web.links import BadLink, ExpiredLink, Purpose, make_token, read_token
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def token_made_ago(seconds: float, purpose: Purpose, **payload: str) -> str:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - seconds):
        return make_token(purpose, **payload)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def test_token_round_trip_carries_no_email_or_pkey() -> None:
    token = make_token(Purpose.PREFERENCES, s="0" * 32)
    assert read_token(Purpose.PREFERENCES, token) == {"s": "0" * 32}
    assert "@" not in token


def test_wrong_purpose_is_refused() -> None:
    token = make_token(Purpose.UNSUBSCRIBE, s="0" * 32)
    with pytest.raises(BadLink):
        read_token(Purpose.PREFERENCES, token)


def test_expiry_per_purpose(settings: Settings) -> None:
    settings.SIGNUP_CONFIRM_MAX_AGE_DAYS = 7
    settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 400
    old_confirm = token_made_ago(8 * DAY, Purpose.CONFIRM, p="0" * 32)
    year_old_unsubscribe = token_made_ago(366 * DAY, Purpose.UNSUBSCRIBE, s="0" * 32)
    with pytest.raises(ExpiredLink):
        read_token(Purpose.CONFIRM, old_confirm)
    assert read_token(Purpose.UNSUBSCRIBE, year_old_unsubscribe) == {"s": "0" * 32}


def test_rotated_key_still_reads_old_links(settings: Settings) -> None:
    token = make_token(Purpose.UNSUBSCRIBE, s="0" * 32)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-rotation-tests"
    assert read_token(Purpose.UNSUBSCRIBE, token) == {"s": "0" * 32}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(BadLink):
        read_token(Purpose.UNSUBSCRIBE, token)


@pytest.fixture
def confirm_path(client: Client, newsletter: Topic) -> str:
    sign_up(client, "link@example.com", newsletter)
    run_worker()
    return link_in(mail.outbox[-1], "/confirm/")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # tampered signature
        lambda t: t[: len(t) // 2],  # truncated by a mail client
        lambda t: "x" + t,  # tampered payload
        lambda t: "garbage",
        lambda t: "%00%ff",
    ],
)
def test_tampered_confirm_link_gets_friendly_400(client: Client, confirm_path: str, mangle: Any) -> None:
    response = client.post(f"/confirm/{mangle(token_of(confirm_path))}/")
    assert response.status_code == 400
    assert "This link does not work" in html_of(response)
    assert PendingSignup.objects.get().confirmed_at is None


def test_expired_confirm_link_offers_signing_up_again(client: Client, confirm_path: str) -> None:
    signup = PendingSignup.objects.get()
    token = token_made_ago(30 * DAY, Purpose.CONFIRM, p=signup.public_id.hex)
    response = client.post(f"/confirm/{token}/")
    assert response.status_code == 400
    html = html_of(response)
    assert "This link has expired" in html
    assert 'href="/signup/"' in html
    assert PendingSignup.objects.get().confirmed_at is None


def test_unsubscribe_token_on_confirm_url_is_refused(client: Client, confirm_path: str) -> None:
    subscriber = Subscriber.objects.get()
    token = make_token(Purpose.UNSUBSCRIBE, s=subscriber.public_id.hex)
    assert client.get(f"/confirm/{token}/").status_code == 400
    assert client.post(f"/confirm/{token}/").status_code == 400


def test_genuine_token_for_unknown_id_is_refused(client: Client, seeded: None) -> None:
    token = make_token(Purpose.CONFIRM, p="f" * 32)
    assert client.get(f"/confirm/{token}/").status_code == 400
    token = make_token(Purpose.CONFIRM, p="not-a-uuid")
    assert client.get(f"/confirm/{token}/").status_code == 400


def test_confirm_link_carries_no_address_or_campaign_key(client: Client, newsletter: Topic) -> None:
    sign_up(client, "private@example.com", newsletter)
    confirm_latest(client)
    subscriber = Subscriber.objects.get()
    for message in mail.outbox:
        for url in [*message.body.split()]:
            if "testserver/" in url:
                assert "private" not in url
                assert subscriber.campaign_pkey not in url
                assert "%40" not in url
