"""Helpers the tests share: walk the journey as a person and a worker would."""

import re
import time
from collections.abc import Callable

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from signup_site.campaign.models import Change, Topic
from signup_site.campaign.outbox import deliver_all, take_in_one

URL = re.compile(r"https?://[^\s\"<>]+")


def sessions_made(monkeypatch: pytest.MonkeyPatch) -> list[requests.Session]:
    """Every `requests.Session` created from now on in the test, in order."""
    sessions: list[requests.Session] = []
    make = requests.Session.__init__

    def counted(self: requests.Session) -> None:
        sessions.append(self)
        make(self)

    monkeypatch.setattr(requests.Session, "__init__", counted)
    return sessions


def wait_until[T](condition: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Poll `condition` until it answers something truthy, and answer that.

    For waiting on state another thread or process changes (what reached an
    emulator, a call in progress), instead of sleeping and hoping. `timeout`
    is generous on purpose: it bounds a wait, it measures nothing; when it
    runs out the test fails, naming `what` it waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def database_url() -> str:
    """A DATABASE_URL for the test database, for processes the tests start."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def html_of(response: object) -> str:
    """A response's HTML with runs of white space folded to one space."""
    return " ".join(response.content.decode().split())  # type: ignore[attr-defined]


def shown_in(html: str) -> str:
    """The preferences form's signed snapshot of what the page showed, as a
    browser would send it back."""
    found = re.search(r'<input[^>]*name="shown"[^>]*value="([^"]+)"', html) or re.search(
        r'<input[^>]*value="([^"]+)"[^>]*name="shown"', html
    )
    assert found, "no snapshot on the page"
    return found.group(1)


def run_worker() -> int:
    """One pass of the task worker: deliver everything due."""
    return deliver_all()


def take_in_requests() -> int:
    """The worker's first step alone: act on the sign-ups and link requests
    the pages took in, delivering nothing yet (what they queue stays queued)."""
    count = 0
    while take_in_one():
        count += 1
    return count


def make_due(changes: "QuerySet[Change] | None" = None) -> None:
    """Let backoff time pass: `changes` (default: every pending one) are due now."""
    pending = changes if changes is not None else Change.objects.filter(status=Change.Status.PENDING)
    pending.update(next_attempt_at=timezone.now())


def path_of(url: str) -> str:
    """An absolute link the site made, as a path the test client can follow."""
    return url.removeprefix(settings.SITE_URL)


def html_part(message: mail.EmailMessage) -> str:
    """The HTML alternative of an email the site sent."""
    assert isinstance(message, mail.EmailMultiAlternatives), "not a multipart email"
    return str(message.alternatives[0][0])


def links_in(message: mail.EmailMessage, path: str) -> list[str]:
    """Absolute links in an email's text body whose path starts with `path`."""
    return [url for url in URL.findall(str(message.body)) if f"testserver{path}" in url]


def link_in(message: mail.EmailMessage, path: str) -> str:
    found = links_in(message, path)
    assert found, f"no {path} link in: {message.body}"
    return found[0].removeprefix("http://testserver")


def sign_up(client: Client, email: str, *topics: Topic, **fields: str) -> None:
    data = {"email": email, "language": fields.pop("language", "en"), **fields}
    data["topics"] = [str(topic.pk) for topic in topics]  # type: ignore[assignment]
    response = client.post("/signup/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # The page only takes the sign-up in; the worker's first step makes the
    # person and queues the email (delivering nothing yet).
    take_in_requests()


def confirm_latest(client: Client) -> str:
    """Deliver the confirmation email and POST its link; returns the confirm path."""
    run_worker()
    confirm = link_in(mail.outbox[-1], "/confirm/")
    response = client.post(confirm)
    assert response.status_code == 303  # to the confirmed page (Post/Redirect/Get)
    run_worker()
    return confirm


def assert_get_able(client: Client, location: str, english: str, spanish: str) -> None:
    """The result page reloads, and its language switcher's link answers it in Spanish."""
    for _ in range(2):
        response = client.get(location)
        assert response.status_code == 200
        assert english in html_of(response)
    switched = client.get(f"{location}?lang=es")
    assert switched.status_code == 200
    assert '<html lang="es">' in html_of(switched)
    assert spanish in html_of(switched)
    client.cookies.pop("django_language", None)
