"""The admin's login: repeated wrong passwords lock out that username from
that address, and an address that fails too often with any usernames; the
lock lifts after the cool-off, or when an operator resets it; addresses
are counted behind TRUSTED_PROXY_COUNT proxies like everywhere else."""

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Settings) -> None:
    # Dozens of password checks per test: the production hasher's cost is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ops() -> User:
    return User.objects.create_superuser("ops", "ops@example.com", PASSWORD)


def log_in(username: str, password: str, address: str = ATTACKER, forwarded_for: str = "") -> "Response":
    """One try at the admin's login form from `address`, as a fresh browser."""
    client = Client(
        REMOTE_ADDR=address, headers={"X-Forwarded-For": forwarded_for} if forwarded_for else None
    )
    form = {"username": username, "password": password, "next": reverse("admin:index")}
    return client.post(reverse("admin:login"), form)


def logged_in(response: "Response") -> bool:
    return response.status_code == 302 and response["Location"] == reverse("admin:index")


def fail(times: int, username: str = "ops", address: str = ATTACKER, forwarded_for: str = "") -> list[int]:
    return [log_in(username, "wrong", address, forwarded_for).status_code for _ in range(times)]


def time_passes(minutes: float) -> None:
    """As if `minutes` had passed since every failure so far."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_five_wrong_passwords_refuse_even_the_right_one(ops: User) -> None:
    # The first four wrong passwords get the form again; the fifth locks.
    assert fail(5) == [200, 200, 200, 200, 429]
    response = log_in("ops", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "Try again in 15 minutes" in page
    assert response["Retry-After"] == "900"
    assert "sessionid" not in response.cookies


def test_the_lock_lifts_after_the_cool_off(ops: User) -> None:
    fail(5)
    time_passes(14)
    assert log_in("ops", PASSWORD).status_code == 429
    time_passes(15.1)
    assert logged_in(log_in("ops", PASSWORD))


def test_a_try_while_locked_out_starts_the_wait_again(ops: User) -> None:
    fail(5)
    time_passes(10)
    assert log_in("ops", PASSWORD).status_code == 429
    time_passes(10)  # 20 minutes after the fifth failure, 10 after the last try
    assert log_in("ops", PASSWORD).status_code == 429


def test_an_operator_can_lift_the_lock(ops: User) -> None:
    fail(5)
    call_command("axes_reset_ip", ATTACKER)
    assert logged_in(log_in("ops", PASSWORD))


def test_a_locked_username_still_signs_in_from_another_address(ops: User) -> None:
    fail(5)
    assert logged_in(log_in("ops", PASSWORD, address=COLLEAGUE))


def test_one_address_trying_many_usernames_is_locked_by_its_own_limit(ops: User) -> None:
    # Four tries for each of five usernames: no username reaches its limit,
    # the address reaches its own (20).
    for name in ["root", "admin", "alice", "bob"]:
        assert fail(4, name) == [200] * 4
    assert fail(4, "carol") == [200, 200, 200, 429]
    assert log_in("ops", PASSWORD).status_code == 429  # no failure for "ops" here, yet locked
    assert logged_in(log_in("ops", PASSWORD, address=COLLEAGUE))


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(ops: User, settings: Settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    assert fail(5, address=proxy, forwarded_for=ATTACKER) == [200, 200, 200, 200, 429]
    # The colleague comes through the same proxy: not locked by the attacker's failures.
    assert logged_in(log_in("ops", PASSWORD, proxy, forwarded_for=COLLEAGUE))
    # The attacker cannot escape by claiming another address in front of the proxy's.
    spoofed = f"{COLLEAGUE}, {ATTACKER}"
    assert log_in("ops", PASSWORD, proxy, forwarded_for=spoofed).status_code == 429
