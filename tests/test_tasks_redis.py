"""The Redis tasks backend is a matter of configuration: the sweeper
enqueues through RQ and an RQ worker delivers the outbox.

Needs the optional stack (requirements-redis.txt; `make test` installs it)
and a Redis at TEST_REDIS_URL. Without either the test skips, saying why,
except in CI (CI=true), where both are part of the machine and a skip would
hide a broken backend: there it fails.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from signup_site.campaign import outbox
from signup_site.campaign.models import Change, Subscriber
from tests.helpers import database_url

if TYPE_CHECKING:
    import redis

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def unavailable(reason: str) -> NoReturn:
    """Skip, saying why; in CI, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the Redis tasks test", pytrace=False)
    pytest.skip(reason)


def redis_server() -> "redis.Redis":
    """A client of the test's Redis, once it has answered."""
    missing = [name for name in ("redis", "django_tasks_rq") if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not installed: pip install -r requirements-redis.txt")
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        server.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        unavailable(f"no Redis answers at {REDIS_URL} ({exc})")
    return server


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "REDIS_URL": REDIS_URL,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.django_db(transaction=True)
def test_rq_worker_delivers_the_outbox() -> None:
    server = redis_server()
    server.flushdb()
    try:
        deliver_through_redis(server)
    finally:
        server.flushdb()


def deliver_through_redis(server: "redis.Redis") -> None:
    subscriber = Subscriber.objects.create(email="rq@example.com", person_key="rq@example.com")
    outbox.record(
        subscriber,
        Change.Kind.SITE_EMAIL,
        template="welcome",
        email=subscriber.email,
        language="en",
        context={},
    )

    swept = manage("sweep_outbox", "--once")
    assert swept.returncode == 0, swept.stderr
    assert server.llen("rq:queue:default") == 1  # the sweeper queued a delivery in Redis

    worked = manage("rqworker", "default", "--burst", "--job-class", "django_tasks_rq.backend.Job")
    assert worked.returncode == 0, worked.stderr
    assert Change.objects.get().status == Change.Status.DONE
