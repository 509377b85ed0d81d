"""The limits' counters are rows of their own (web.models.LimitCounter),
counted in one statement per request: a valid sign-up POST runs a handful of
SQL statements, not the ~40 the database cache's add/incr took (issue 15)."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries, Settings

from signup_site.campaign.models import InboundRequest, Topic
from signup_site.web.models import LimitCounter
from tests.abuse import post_signup

pytestmark = pytest.mark.django_db


def test_a_valid_signup_post_runs_few_statements(
    client: Client, newsletter: Topic, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    post_signup(client, "first@example.com", newsletter)  # the window's first: it also sweeps
    # The topics (1), the counters (1), the request taken in and the worker's
    # wake-up (2, in a savepoint of the test's transaction: 4).
    with django_assert_max_num_queries(6):
        assert post_signup(client, "second@example.com", newsletter) == 302
    assert InboundRequest.objects.count() == 2


def test_a_valid_signup_reads_its_topics_once_and_no_translations(client: Client, newsletter: Topic) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert post_signup(client, "topics@example.com", newsletter) == 302
    reads = [query["sql"] for query in queries.captured_queries if '"campaign_topic' in query["sql"]]
    # The chosen topics, checked against the current ones; their labels'
    # translations are for showing the form, which a valid sign-up does not.
    assert len(reads) == 1 and '"campaign_topic"' in reads[0], reads


def test_every_counter_is_counted_in_one_statement(client: Client, newsletter: Topic) -> None:
    post_signup(client, "first@example.com", newsletter)
    with CaptureQueriesContext(connection) as queries:
        assert post_signup(client, "second@example.com", newsletter) == 302
    counting = [query["sql"] for query in queries.captured_queries if "web_limitcounter" in query["sql"]]
    assert len(counting) == 1, counting
    counts = dict(LimitCounter.objects.values_list("name", "count"))
    assert sorted(name.split(":")[1] for name, count in counts.items() if count == 2) == [
        "global",
        "ip",
        "net",
    ]
    assert sorted(name.split(":")[1] for name, count in counts.items() if count == 1) == [
        "mailbox",
        "mailbox",
        "mailbox-hour",
        "mailbox-hour",
    ]


def test_counters_past_the_refusing_one_are_not_counted(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.LIMIT_IP_UNPROVEN_PER_HOUR = 1
    assert post_signup(client, "one@example.com", newsletter) == 302
    assert post_signup(client, "two@example.com", newsletter) == 429
    counts = {name.split(":")[1]: count for name, count in LimitCounter.objects.values_list("name", "count")}
    # The refused attempt counted against its client only: not its network,
    # nor its mailbox's or the site's allowance.
    assert counts["ip"] == 2 and counts["net"] == 1 and counts["global"] == 1
    assert LimitCounter.objects.filter(name__contains=":mailbox:", count=0).count() == 1


def test_a_new_window_sweeps_the_expired_counters(client: Client, newsletter: Topic) -> None:
    LimitCounter.objects.create(name="limits:ip:192.0.2.1:0", count=3, expires=int(time.time()) - 1)
    LimitCounter.objects.create(name="limits:ip:192.0.2.2:0", count=3, expires=int(time.time()) + 600)
    assert post_signup(client, "sweep@example.com", newsletter) == 302
    names = set(LimitCounter.objects.values_list("name", flat=True))
    assert "limits:ip:192.0.2.1:0" not in names and "limits:ip:192.0.2.2:0" in names


def test_the_counters_never_hold_an_address(client: Client, newsletter: Topic) -> None:
    post_signup(client, "secret.person+x@example.com", newsletter)
    names = " ".join(LimitCounter.objects.values_list("name", flat=True))
    assert "limits:mailbox:" in names
    assert "secret" not in names and "example" not in names


@pytest.mark.django_db(transaction=True)
def test_a_signup_and_its_wake_up_are_one_commit(client: Client, newsletter: Topic) -> None:
    from django_tasks_db.models import DBTaskResult

    post_signup(client, "first@example.com", newsletter)
    with CaptureQueriesContext(connection) as queries:
        assert post_signup(client, "second@example.com", newsletter) == 302
    statements = [query["sql"] for query in queries.captured_queries]
    # The request taken in and the task that wakes the worker: written in one
    # transaction (on the database task backend), so committed at once.
    writes = [sql for sql in statements if sql.startswith("INSERT") and "web_limitcounter" not in sql]
    assert len(writes) == 2, statements
    first, last = statements.index(writes[0]), statements.index(writes[1])
    assert not any(sql in ("COMMIT", "BEGIN") for sql in statements[first:last]), statements
    assert DBTaskResult.objects.count() == 2 and InboundRequest.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_counting_does_not_wait_for_the_disk_but_the_signup_does(
    client: Client, newsletter: Topic
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        assert post_signup(client, "durable@example.com", newsletter) == 302
    statements = [query["sql"] for query in queries.captured_queries]
    counting = next(n for n, sql in enumerate(statements) if "web_limitcounter" in sql)
    assert statements[counting - 1] == "SET LOCAL synchronous_commit TO OFF", statements
    # The sign-up's own transaction keeps the server's default: durable.
    assert statements.count("SET LOCAL synchronous_commit TO OFF") == 1, statements


def test_a_confirmation_reads_the_person_once(client: Client, newsletter: Topic) -> None:
    """The confirmation (the heavier half of a launch's burst) locks the
    person, confirms them, and starts their preferences session with that
    same row: one read of campaign_subscriber, not a second after the commit."""
    from django.core import mail

    from tests.helpers import link_in, run_worker, sign_up

    sign_up(client, "once@example.com", newsletter)
    run_worker()
    with CaptureQueriesContext(connection) as queries:
        assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303
    reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "campaign_subscriber"')
    ]
    assert len(reads) == 1, reads


def test_a_fresh_browser_confirming_writes_its_session_once(client: Client, newsletter: Topic) -> None:
    from django.core import mail

    from tests.helpers import link_in, run_worker, sign_up

    sign_up(client, "fresh@example.com", newsletter)
    run_worker()
    client.cookies.pop("sessionid", None)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303
    writes = [q["sql"].split(" ", 1)[0] for q in queries.captured_queries if '"django_session"' in q["sql"]]
    assert writes == ["SELECT", "INSERT"], writes  # a new key checked unused, and the session stored
    assert client.get("/preferences/edit/").status_code == 200  # and it lets them in


def test_a_session_the_browser_came_with_gets_a_new_key_on_confirming(
    client: Client, newsletter: Topic
) -> None:
    """Session fixation: a key planted in the browser before the link was
    opened is not the key to the person's preferences afterwards."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.core import mail

    from tests.helpers import link_in, run_worker, sign_up

    sign_up(client, "planted@example.com", newsletter)
    run_worker()
    planted = SessionStore()
    planted["seen"] = True
    planted.create()
    key = str(planted.session_key)
    client.cookies["sessionid"] = key
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303
    assert client.cookies["sessionid"].value != key
    attacker = Client()
    attacker.cookies["sessionid"] = key
    assert attacker.get("/preferences/edit/").status_code != 200
