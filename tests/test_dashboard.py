"""The marketers' dashboard, on a seeded history: staff only, figures that
match the database, charts as accessible SVG with a table behind each."""

import re
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models.functions import TruncDate
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from signup_site.campaign.models import Change, ConsentRecord, Coupon, OptOut, PendingSignup, Subscriber
from signup_site.ops.figures import percentile
from signup_site.ops.history import seed_history, seeded_subscribers
from tests.helpers import html_of

pytestmark = pytest.mark.django_db

DAYS = 14


@pytest.fixture
def history(seeded: None) -> int:
    return seed_history(days=DAYS, seed=1)


@pytest.fixture
def marketer() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("marketer", "m@example.com", "pw", is_staff=True))
    return client


def dashboard(client: Client, **query: str | int) -> str:
    response = client.get(reverse("ops-dashboard"), query)
    assert response.status_code == 200
    return html_of(response)


def table(html: str, key: str) -> dict[str, list[str]]:
    """The rows of the data table behind chart `key`: day -> cells."""
    found = re.search(rf'<table id="{key}-table".*?<tbody>(.*?)</tbody>', html)
    assert found, f"no table behind {key}"
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', found.group(1))
    return {day: re.findall(r"<td>([^<]*)</td>", cells) for day, cells in rows}


def test_only_staff_see_the_dashboard(history: int) -> None:
    url = reverse("ops-dashboard")
    assert Client().get(url).status_code == 302
    member = Client()
    member.force_login(User.objects.create_user("someone", "s@example.com", "pw"))
    response = member.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_index_links_to_it(marketer: Client) -> None:
    assert reverse("ops-dashboard") in html_of(marketer.get("/admin/"))


def test_the_table_behind_the_signups_chart_matches_the_database(history: int, marketer: Client) -> None:
    html = dashboard(marketer, days=30)
    rows = table(html, "chart-signups")
    start = timezone.localdate() - timedelta(days=29)
    per_day = Counter(
        PendingSignup.objects.filter(created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", flat=True)
    )
    assert len(rows) == 30
    assert {day: int(cells[0]) for day, cells in rows.items() if cells[0] != "0"} == {
        f"{day:%Y-%m-%d}": n for day, n in per_day.items()
    }
    assert sum(int(cells[0]) for cells in rows.values()) == PendingSignup.objects.count() == history
    confirmed = PendingSignup.objects.filter(confirmed_at__isnull=False).count()
    assert sum(int(cells[1]) for cells in rows.values()) == confirmed
    assert f'<dd id="figure-signups">{history}</dd>' in html
    assert f'<dd id="figure-confirmed">{confirmed}</dd>' in html


def test_optouts_and_coupons_match_the_database(history: int, marketer: Client) -> None:
    html = dashboard(marketer, days=30)
    by_reason = table(html, "chart-optouts-reason")
    assert sum(float(cell) for cells in by_reason.values() for cell in cells) == OptOut.objects.count() > 0
    by_topic = table(html, "chart-optouts-topic")
    assert sum(float(cell) for cells in by_topic.values() for cell in cells) == OptOut.objects.count()
    coupons = Coupon.objects.filter(issued_at__isnull=False).count()
    assert f'<dd id="figure-coupons">{coupons}</dd>' in html
    parked = Change.objects.filter(status=Change.Status.PARKED).count()
    assert f'?status__exact=parked">{parked}</a>' in html


def test_latency_percentiles_come_from_change_rows(history: int, marketer: Client) -> None:
    html = dashboard(marketer, days=30)
    pairs = Change.objects.filter(status=Change.Status.DONE).values_list("created_at", "delivered_at")
    waits = [(done - created).total_seconds() for created, done in pairs if done]
    median = percentile(waits, 50)
    assert median is not None
    found = re.search(r'id="latency-table".*?<th scope="row">All changes</th><td>(\d+)</td>', html)
    assert found and int(found.group(1)) == len(waits)


def test_every_chart_is_an_accessible_svg_with_a_table(history: int, marketer: Client) -> None:
    html = dashboard(marketer, days=7)
    charts = re.findall(r"<svg [^>]*class=\"ops-chart\"[^>]*>.*?</svg>", html)
    assert len(charts) == 5
    for svg in charts:
        assert 'role="img"' in svg
        key = re.search(r'aria-labelledby="([\w-]+)-title \1-desc"', svg)
        assert key, svg[:200]
        assert f'<title id="{key.group(1)}-title">' in svg and f'<desc id="{key.group(1)}-desc">' in svg
        assert f'<table id="{key.group(1)}-table"' in html
    assert "<script" not in html.split('<div id="content-main"')[1]
    assert "http://cdn" not in html and "https://cdn" not in html


def test_chart_description_states_the_total(history: int, marketer: Client) -> None:
    html = dashboard(marketer, days=30)
    desc = re.search(r'<desc id="chart-signups-desc">([^<]+)</desc>', html)
    assert desc and f"{history} sign-ups" in desc.group(1)


def test_periods_and_a_date_range(history: int, marketer: Client) -> None:
    assert len(table(dashboard(marketer, days=7), "chart-signups")) == 7
    assert len(table(dashboard(marketer, days=90), "chart-signups")) == 90
    today = timezone.localdate()
    ranged = table(
        dashboard(marketer, first=str(today - timedelta(days=2)), last=str(today)), "chart-signups"
    )
    assert list(ranged) == [f"{today - timedelta(days=n):%Y-%m-%d}" for n in (2, 1, 0)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"first": "2026-05-02", "last": "2026-05-01"}, "The end comes before the start."),
        ({"first": "2020-01-01", "last": "2026-01-01"}, "A range is at most 366 days."),
        ({"first": "2026-05-02"}, "Give both dates of the range, or neither."),
        ({"first": "soon", "last": "later"}, "Enter a valid date."),
        ({"days": "9999"}, "Select a valid choice."),
    ],
)
def test_a_bad_period_is_explained_and_the_last_30_days_shown(
    marketer: Client, query: dict[str, str], message: str
) -> None:
    html = dashboard(marketer, **query)
    assert message in html
    assert len(table(html, "chart-signups")) == 30


def test_an_empty_site_renders_zeroes(seeded: None, marketer: Client) -> None:
    html = dashboard(marketer)
    assert "No sign-ups from" in html
    assert '<dd id="figure-signups">0</dd>' in html


def test_the_history_is_deterministic_and_idempotent(seeded: None) -> None:
    now = timezone.now()
    made = seed_history(days=5, seed=3, now=now)
    first = sorted(seeded_subscribers().values_list("email", "created_at", "status"))
    assert made == len(first) > 0
    assert seed_history(days=5, seed=3, now=now) == 0  # already there: nothing more
    assert sorted(seeded_subscribers().values_list("email", "created_at", "status")) == first
    assert seed_history(days=5, seed=3, reset=True, now=now) == made
    assert sorted(seeded_subscribers().values_list("email", "created_at", "status")) == first
    assert seed_history(days=5, seed=4, reset=True, now=now) != 0
    assert sorted(seeded_subscribers().values_list("email", "created_at", "status")) != first


def test_the_history_uses_example_domains_and_leaves_real_people_alone(seeded: None) -> None:
    real = Subscriber.objects.create(email="real@example.net", person_key="real@example.net")
    seed_history(days=3, seed=1)
    seed_history(days=3, seed=1, reset=True)
    domains = {email.rsplit("@", 1)[1] for email in seeded_subscribers().values_list("email", flat=True)}
    assert domains <= {"example.com", "example.org"}
    assert Subscriber.objects.filter(pk=real.pk).exists()
    assert ConsentRecord.objects.filter(subscriber__in=seeded_subscribers()).exists()
    assert Change.objects.filter(status=Change.Status.DONE).exists()
    assert not Change.objects.filter(created_at__gt=timezone.now()).exists()


def test_the_command_seeds_and_says_so(seeded: None) -> None:
    out = StringIO()
    call_command("seed_history", "--days", "3", "--seed", "1", stdout=out)
    assert "Seeded" in out.getvalue()
    call_command("seed_history", "--days", "3", "--seed", "1", stdout=out)
    assert "already there" in out.getvalue()
    with pytest.raises(CommandError, match="--days"):
        call_command("seed_history", "--days", "0")


def test_the_command_refuses_a_real_campaign(seeded: None, settings: Settings) -> None:
    settings.CAMPAIGN_BACKEND = "acs"
    with pytest.raises(CommandError, match="CAMPAIGN_BACKEND=local"):
        call_command("seed_history", "--days", "3")
    assert not seeded_subscribers().exists()
