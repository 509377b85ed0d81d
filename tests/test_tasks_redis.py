"""The Redis tasks backend is a matter of configuration: the sweeper
enqueues through RQ and an RQ worker delivers the outbox."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from signup_site.campaign import outbox
from signup_site.campaign.models import Change, Subscriber
from tests.helpers import database_url

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14"


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
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
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
    server.flushdb()
