"""Limits on every path that sends an email: per client, per network, per
mailbox (every alias together) and for the whole site; the 429 page."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pytest_django import Settings

from signup_site.campaign.models import PendingSignup, Subscriber, Topic
from signup_site.web.limits import network_of
from signup_site.web.models import LimitCounter
from tests.abuse import post_signup, solved_proof
from tests.helpers import confirm_latest, html_of, link_in, run_worker, shown_in, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cheap_proof(settings: Settings) -> None:
    settings.ALTCHA_COST = 20  # the same protocol, solved quickly


def emails_to(address_part: str) -> int:
    run_worker()
    return sum(1 for message in mail.outbox if any(address_part in to for to in message.to))


def test_signups_from_one_client_without_proof_cause_at_most_the_unproven_allowance(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    statuses = [post_signup(client, f"person{n}@example.com", newsletter) for n in range(30)]
    assert statuses.count(302) == settings.LIMIT_IP_UNPROVEN_PER_HOUR == 5
    assert statuses.count(429) == 25
    assert emails_to("@example.com") == 5
    assert PendingSignup.objects.count() == 5  # nothing stored for a refused request


def test_a_client_that_solves_the_proof_of_work_gets_the_higher_allowance(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_IP_PER_HOUR = 8
    statuses = [
        post_signup(client, f"solver{n}@example.com", newsletter, proof=solved_proof(client))
        for n in range(10)
    ]
    assert statuses == [302] * 8 + [429] * 2
    assert emails_to("@example.com") == 8


def test_a_network_is_limited_however_many_addresses_it_uses(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_NETWORK_PER_HOUR = 7
    statuses = [post_signup(client, f"n{n}@example.com", newsletter, ip=f"198.51.100.{n}") for n in range(10)]
    assert statuses == [302] * 7 + [429] * 3
    v6 = [post_signup(client, f"v{n}@example.com", newsletter, ip=f"2001:db8:0:{n:x}::1") for n in range(10)]
    assert v6 == [302] * 7 + [429] * 3  # one /56
    assert network_of("2001:db8:0:ff::1") == "2001:db8::/56"
    assert network_of("::ffff:198.51.100.9") == "198.51.100.0/24"


def test_aliases_of_one_mailbox_get_at_most_the_mailbox_limit_from_anywhere(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = 1000  # the worker's cap aside: the web limit alone holds
    statuses = [
        post_signup(client, f"victim+{n}@example.com", newsletter, ip=f"10.{n}.0.1") for n in range(200)
    ]
    assert statuses.count(302) == settings.LIMIT_MAILBOX_PER_DAY == 5
    assert emails_to("victim") == 5


def test_email_change_flood_to_one_victim_is_limited(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    sign_up(client, "jane@example.com", newsletter, first_name="Jane")
    confirm_latest(client)
    client.get(link_in(mail.outbox[-1], "/preferences/"))
    page = html_of(client.get("/preferences/edit/"))
    data: dict[str, object] = {
        "shown": shown_in(page),
        "first_name": "Jane",
        "last_name": "",
        "language": "en",
    }
    data |= {"email": "victim@example.org", "topics": ["NEWSLETTER"]}
    statuses = [client.post("/preferences/edit/", data).status_code for _ in range(30)]
    assert statuses.count(303) == settings.LIMIT_MAILBOX_PER_DAY
    assert emails_to("victim@example.org") == settings.LIMIT_MAILBOX_PER_DAY
    refused = client.post("/preferences/edit/", data)
    assert refused.status_code == 429
    assert 'value="victim@example.org"' in html_of(refused)  # what they typed is still there


def test_email_me_my_link_is_limited_whether_or_not_the_address_is_known(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    sign_up(client, "known@example.com", newsletter)
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 2

    def limited_page(email: str, ip: str) -> str:
        for _ in range(2):
            assert client.post("/preferences/", {"email": email}, REMOTE_ADDR=ip).status_code == 303
        response = client.post("/preferences/", {"email": email}, REMOTE_ADDR=ip)
        assert response.status_code == 429
        html = html_of(response).replace(email, "ADDRESS")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert limited_page("known@example.com", "192.0.2.1") == limited_page("unknown@example.com", "192.0.2.2")


def test_limited_page_is_a_translated_429_with_retry_after_and_keeps_the_input(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 0
    response = client.post(
        "/signup/?lang=es",
        {"email": "ana@example.com", "first_name": "Ana", "language": "es", "topics": [str(newsletter.pk)]},
    )
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    html = html_of(response)
    assert '<html lang="es">' in html
    assert "Inténtalo de nuevo dentro de" in html
    assert re.search(r"dentro de \d+\s+minutos?", html), html
    assert 'value="ana@example.com"' in html and 'value="Ana"' in html
    assert not Subscriber.objects.exists()


def test_global_breaker_stops_unproven_traffic_first(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_GLOBAL_UNPROVEN_PER_HOUR = 3
    settings.LIMIT_GLOBAL_PER_HOUR = 6
    unproven = [post_signup(client, f"u{n}@example.com", newsletter, ip=f"10.{n}.1.1") for n in range(5)]
    assert unproven == [302] * 3 + [429] * 2
    proven = [
        post_signup(client, f"p{n}@example.com", newsletter, ip=f"10.{n}.2.1", proof=solved_proof(client))
        for n in range(3)
    ]
    # The unproven refusals were counted too (the breaker counts attempts): 5 of 6 used.
    assert proven == [302, 429, 429]


def test_limits_hold_with_a_redis_cache_and_count_in_the_database(
    client: Client, newsletter: Topic, settings: Settings
) -> Any:
    from tests.test_tasks_redis import REDIS_URL, unavailable

    redis = pytest.importorskip("redis")
    url = REDIS_URL.rsplit("/", 1)[0] + "/13"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        unavailable(f"no Redis answers at {url} ({exc})")
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    statuses = [post_signup(client, f"r{n}@example.com", newsletter) for n in range(8)]
    assert statuses == [302] * 5 + [429] * 3
    assert emails_to("@example.com") == 5
    # The counters are the database's (web.models.LimitCounter), whatever the cache.
    assert not redis.Redis.from_url(url).keys("*limits:*")
    assert LimitCounter.objects.filter(name__startswith="limits:ip:").exists()
