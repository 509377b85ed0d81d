"""/metrics: answered to an authorised scraper (token or network), refused
to anyone else, off when unconfigured; figures that parse and match the
outbox; request latency labelled by URL name, never by path."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django import Settings

from signup_site.campaign.models import Change, OptOut, Subscriber, Topic
from signup_site.ops.metrics import count_limit_hit
from tests.abuse import post_signup
from tests.helpers import confirm_latest, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def token(settings: Settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape() -> dict[str, list[tuple[dict[str, str], float]]]:
    """The samples of an authorised scrape: name -> [(labels, value)]."""
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if all(found.get(k) == w for k, w in labels.items()))


def test_off_when_neither_token_nor_networks_are_set(settings: Settings) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_the_token_opens_it_and_nothing_else_does(token: str) -> None:
    assert "signup_outbox_backlog" in scrape()
    for header in ["", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"bearer{TOKEN}"]:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=header)
        assert response.status_code == 403, header
        assert b"signup_" not in response.content


def test_a_non_ascii_token_is_refused_not_an_error(token: str) -> None:
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer é").status_code == 403


def test_allowed_networks_open_it_without_a_token(settings: Settings) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16", "2001:db8::/32"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="2001:db8::7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.2.0.1").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_networks_are_judged_by_the_client_behind_trusted_proxies(settings: Settings) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="192.0.2.10")
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.0.5").status_code == 200
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    # A client cannot slip an allowed address in front of what the proxy appended.
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.0.5, 203.0.113.9").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 0
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.0.5").status_code == 403


def test_a_malformed_network_setting_stops_the_start() -> None:
    environment = {**os.environ, "DJANGO_DEBUG": "true", "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8, ten"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS must list networks like 10.0.0.0/8, not 'ten'" in done.stderr


def test_outbox_figures_match_the_database(token: str, client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.org", newsletter)
    confirm_latest(client)
    delivered = Change.objects.filter(status=Change.Status.DONE).count()
    assert delivered > 0
    unsubscribe = link_in(mail.outbox[-1], "/unsubscribe/")
    assert client.post(unsubscribe, {"scope": "all"}).status_code == 303
    optout = OptOut.objects.get()
    OptOut.objects.filter(pk=optout.pk).update(created_at=timezone.now() - timedelta(hours=30))
    assert optout.change_id is not None
    Change.objects.filter(pk=optout.change_id).update(created_at=timezone.now() - timedelta(hours=30))
    parked = Change.objects.filter(status=Change.Status.DONE).first()
    assert parked is not None
    Change.objects.filter(pk=parked.pk).update(status=Change.Status.PARKED, failure=Change.Failure.REJECTED)

    samples = scrape()
    assert value(samples, "signup_database_up") == 1
    assert value(samples, "signup_outbox_backlog", state="pending", kind="update_profile") == 1
    assert (
        value(samples, "signup_outbox_backlog", state="parked") == 1 == value(samples, "signup_outbox_parked")
    )
    assert value(samples, "signup_outbox_failing", failure="rejected") == 1
    assert value(samples, "signup_outbox_oldest_unfinished_seconds", kind="update_profile") > 29 * 3600
    assert value(samples, "signup_optouts_undelivered") == 1
    assert value(samples, "signup_optout_oldest_undelivered_seconds") > 29 * 3600
    assert value(samples, "signup_outbox_delivered_total") == delivered - 1
    assert value(samples, "signup_outbox_delivery_latency_seconds_count") == delivered - 1
    assert value(samples, "signup_outbox_delivery_latency_seconds_bucket", le="+Inf") == delivered - 1
    assert value(samples, "signup_outbox_delivery_latency_seconds_bucket", le="1.0") <= delivered - 1

    run_worker()
    after = scrape()
    assert value(after, "signup_optouts_undelivered") == 0
    assert value(after, "signup_optout_oldest_undelivered_seconds") == 0


def test_the_latency_histogram_sorts_changes_into_buckets(token: str, newsletter: Topic) -> None:
    person = Subscriber.objects.create(email="lat@example.org", person_key="lat@example.org")
    now = timezone.now()
    for seconds in (0.5, 10, 100, 7200):
        Change.objects.create(
            subscriber=person,
            kind=Change.Kind.SUBSCRIBE,
            status=Change.Status.DONE,
            created_at=now - timedelta(seconds=seconds),
            delivered_at=now,
        )
    samples = scrape()
    buckets = {labels["le"]: v for labels, v in samples["signup_outbox_delivery_latency_seconds_bucket"]}
    assert (buckets["1.0"], buckets["15.0"], buckets["300.0"], buckets["3600.0"], buckets["+Inf"]) == (
        1,
        2,
        3,
        3,
        4,
    )
    assert value(samples, "signup_outbox_delivery_latency_seconds_sum") == pytest.approx(7310.5, abs=0.01)


def test_request_latency_is_labelled_by_url_name_never_by_path(
    token: str, client: Client, newsletter: Topic
) -> None:
    sign_up(client, "bo@example.org", newsletter)
    run_worker()
    confirm = link_in(mail.outbox[-1], "/confirm/")
    assert client.get(confirm).status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    text = response.content.decode()
    samples = scrape()
    views = {labels["view"] for labels, _v in samples["signup_http_request_duration_seconds_count"]}
    assert {"signup-form", "signup-confirm", "unmatched"} <= views
    token_in_link = confirm.strip("/").rsplit("/", 1)[1]
    assert token_in_link not in text and "/confirm/" not in text and "no-such-page" not in text
    assert (
        value(
            samples,
            "signup_http_request_duration_seconds_count",
            view="signup-form",
            method="POST",
            status="3xx",
        )
        >= 1
    )


def test_rate_limit_hits_are_counted_by_limit_name(token: str) -> None:
    before = value(scrape(), "signup_rate_limit_hits_total", limit="signup-per-client")
    count_limit_hit("signup-per-client")
    count_limit_hit("signup-per-client")
    assert value(scrape(), "signup_rate_limit_hits_total", limit="signup-per-client") == before + 2


def test_a_refused_sign_up_is_counted_under_its_limit(
    token: str, settings: Settings, newsletter: Topic
) -> None:
    """A real 429 from the sign-up page reaches the counter (web.limits signals, ops counts)."""
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1
    before = value(scrape(), "signup_rate_limit_hits_total", limit="signup-per-ip")
    statuses = [
        post_signup(Client(), f"flood{n}@example.com", newsletter, ip="198.51.100.9") for n in range(3)
    ]
    assert statuses == [302, 429, 429]
    assert value(scrape(), "signup_rate_limit_hits_total", limit="signup-per-ip") == before + 2


MULTIPROCESS_CHILD = """
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "signup_site.settings"
django.setup()
from signup_site.ops.metrics import count_limit_hit, observe_request
count_limit_hit("signup-per-client")
observe_request("signup-form", "GET", 200, 0.02)
"""


def test_multiprocess_mode_adds_up_every_worker(token: str, settings: Settings, tmp_path: Path) -> None:
    """gunicorn's workers are processes: with PROMETHEUS_MULTIPROC_DIR, one
    scrape reports the counts of all of them (here, two that have exited)."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_DEBUG": "true"}
    root = Path(__file__).resolve().parent.parent
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_CHILD], cwd=root, env=environment, check=True, timeout=120
        )
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    samples = scrape()
    assert value(samples, "signup_rate_limit_hits_total", limit="signup-per-client") == 2
    assert value(samples, "signup_http_request_duration_seconds_count", view="signup-form") == 2
    assert value(samples, "signup_database_up") == 1  # the database figures still come along
