"""Sign-up and "email me my link" do the same work in the request whatever
the address: the attack was timing ("Email me my link" answered 10-15 ms
slower for a known address), so the proof is deterministic: the SQL each
request runs, its values normalised away, and the response, byte for byte
but for CSRF tokens and nonces, are the same for an unknown, a known, an
opted-out and a rate-limited address. The worker then does the lookup
(tests/test_inbound.py). The times themselves are in bench/test_same_time.py
(`make bench`).

Nothing here depends on how the work moved: it fails on the code that looked
the address up in the request."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from signup_site.brand.brand import current_brand
from signup_site.campaign.addresses import person_key
from signup_site.campaign.models import Change, OptOut, Subscriber, Topic

pytestmark = pytest.mark.django_db

LIMIT = 2
CASES = ("unknown", "known", "suppressed", "rate-limited")
# Each path: the URL, the form's other fields, the email template its limit counts.
PATHS: dict[str, tuple[str, dict[str, Any], str]] = {
    "sign-up": ("/signup/", {"language": "en"}, "signup-confirm"),
    "email me my link": ("/preferences/", {}, "preferences-link"),
}

# Values in SQL: quoted strings (addresses, JSON, times, ids) and numbers.
SQL_VALUES = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
# Savepoint names carry a thread id and a counter.
SAVEPOINT = re.compile(r'"s\d+_x\d+"')
TOKENS = [
    (re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+'), rb"\1?"),
    (re.compile(rb'nonce="[^"]+"'), b'nonce="?"'),
]
HEADER_TOKENS = [(re.compile(r"'nonce-[^']+'"), "'nonce-?'"), (re.compile(r"csrftoken=[^;]+"), "csrftoken=?")]


def shape(sql: str) -> str:
    """A statement with its values replaced by `?`: what it does, not to whom."""
    return SAVEPOINT.sub('"s?"', SQL_VALUES.sub("?", sql))


def as_sent(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """A test client response's status, headers (cookies included) and body,
    CSRF tokens and nonces replaced by `?`."""
    headers = []
    for name, value in sorted(response.items()):
        if name in ("Date", "Expires"):  # the clock, whoever asks
            continue
        for pattern, replacement in HEADER_TOKENS:
            value = pattern.sub(replacement, value)
        headers.append((name, value))
    cookies = sorted(
        (name, re.sub(r"^[^;]*", "?", morsel.OutputString())) for name, morsel in response.cookies.items()
    )
    body = response.content
    for token, blank in TOKENS:
        body = token.sub(blank, body)
    return response.status_code, headers + cookies, body


def make_person(case: str, template: str, newsletter: Topic) -> str:
    """An address in the state `case` names: unknown, known (confirmed),
    opted out of all email, or at its limit of `template` emails this hour."""
    email = f"{case.replace('-', '')}@example.com"
    if case == "unknown":
        return email
    subscriber = Subscriber.objects.create(
        email=email,
        person_key=person_key(email),
        status=Subscriber.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    if case == "suppressed":
        OptOut.objects.create(subscriber=subscriber, via=OptOut.Via.PAGE)
    if case == "rate-limited":
        for _ in range(LIMIT):
            Change.objects.create(
                subscriber=subscriber,
                kind=Change.Kind.SITE_EMAIL,
                status=Change.Status.DONE,
                payload={"template": template, "email": email, "language": "en", "context": {}},
            )
    return email


def post_and_trace(
    path: str, data: dict[str, Any], callbacks: DjangoCaptureOnCommitCallbacks
) -> tuple[list[str], tuple[int, list[tuple[str, str]], bytes]]:
    """POST as a new visitor; the shapes of the SQL the request ran, what
    its commit ran (the worker's wake-up) included, and the response."""
    with CaptureQueriesContext(connection) as queries, callbacks(execute=True):
        response = Client().post(path, data)
    return [shape(query["sql"]) for query in queries.captured_queries], as_sent(response)


@pytest.mark.parametrize("page", PATHS)
def test_the_request_does_the_same_work_and_answers_the_same_for_every_address(
    page: str,
    newsletter: Topic,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.SIGNUP_EMAILS_PER_HOUR = LIMIT
    path, fields, template = PATHS[page]
    fields = {**fields, "topics": [str(newsletter.pk)]} if page == "sign-up" else fields
    emails = {case: make_person(case, template, newsletter) for case in CASES}
    # A first request warms what any first request warms; the brand row is
    # made (and cached) before, since making it clears the cache on commit.
    current_brand()
    post_and_trace(path, {**fields, "email": "warm-up@example.com"}, django_capture_on_commit_callbacks)

    traces = {
        case: post_and_trace(path, {**fields, "email": email}, django_capture_on_commit_callbacks)
        for case, email in emails.items()
    }

    statements = {case: sql for case, (sql, _response) in traces.items()}
    assert statements["unknown"], "no SQL captured"
    for case in CASES[1:]:
        assert statements[case] == statements["unknown"], f"{page}: {case} runs other SQL than unknown"
    responses = {case: response for case, (_sql, response) in traces.items()}
    for case in CASES[1:]:
        assert responses[case] == responses["unknown"], f"{page}: {case} gets another answer than unknown"
