"""Every token parser, fed anything: the signed links of each purpose, the
preferences form's signed snapshot, public ids, and the RFC 8058 one-click
body. Random, tampered, truncated, other-purpose and other-person tokens get
the friendly bad-link page (a 4xx, never a 500, never someone's data); a
genuine token round-trips; a token made for one purpose opens no other."""

import contextlib
import time
import uuid
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from signup_site.campaign.models import (
    OptDownRecord,
    OptOut,
    PendingEmailChange,
    PendingSignup,
    Subscriber,
    parse_public_id,
)
from signup_site.campaign.preferences import Snapshot
from signup_site.web.links import (
    BadLink,
    ExpiredLink,
    Purpose,
    _salt,
    make_token,
    max_age,
    open_link,
    read_token,
)
from signup_site.web.preferences import SHOWN_SALT, read_shown, sign_shown
from tests.fuzz_support import TEXT, assert_not_an_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unlimited")]
shared = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
through_site = settings(shared, max_examples=max(10, settings().max_examples // 4))

PURPOSES = st.sampled_from(list(Purpose))
# Where each purpose's link opens, and the payload key naming what it is for.
PAGES = {
    Purpose.CONFIRM: ["/confirm/{}/"],
    Purpose.PREFERENCES: ["/preferences/{}/"],
    Purpose.UNSUBSCRIBE: [
        "/unsubscribe/{}/",
        "/unsubscribe/{}/reason/",
        "/unsubscribe/{}/undo/",
        "/unsubscribe/{}/fewer/",
        "/unsubscribe/{}/preferences/",
    ],
    Purpose.EMAIL_CHANGE: ["/preferences/email/{}/"],
    Purpose.OPTDOWN: ["/fewer/{}/", "/fewer/{}/undo/"],
}
KEY = {
    Purpose.CONFIRM: "p",
    Purpose.PREFERENCES: "s",
    Purpose.UNSUBSCRIBE: "s",
    Purpose.EMAIL_CHANGE: "c",
    Purpose.OPTDOWN: "r",
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
# Payloads a forger with the key could sign: the keys the openers read, with any values.
PAYLOADS = st.one_of(
    JSON,
    st.dictionaries(st.sampled_from(["s", "p", "c", "t"]) | TEXT, JSON | st.uuids().map(str), max_size=4),
)
PEOPLE = ("ana", "ben", "cai")


def make_person(name: str) -> Subscriber:
    subscriber = Subscriber.objects.create(
        email=f"{name}@example.com", person_key=f"{name}@example.com", first_name=name.title()
    )
    PendingSignup.objects.create(subscriber=subscriber, first_name=name.title())
    PendingEmailChange.objects.create(subscriber=subscriber, new_email=f"{name}.new@example.com")
    OptDownRecord.objects.create(subscriber=subscriber, kind=OptDownRecord.Kind.FREQUENCY, choice="weekly")
    return subscriber


@pytest.fixture
def people(seeded: None) -> dict[str, Subscriber]:
    return {name: make_person(name) for name in PEOPLE}


def genuine_token(purpose: Purpose, subscriber: Subscriber) -> str:
    """The token the site would email this person for `purpose`."""
    named = {
        Purpose.CONFIRM: lambda: subscriber.signups.get().public_id,
        Purpose.PREFERENCES: lambda: subscriber.public_id,
        Purpose.UNSUBSCRIBE: lambda: subscriber.public_id,
        Purpose.EMAIL_CHANGE: lambda: subscriber.email_changes.get().public_id,
        Purpose.OPTDOWN: lambda: subscriber.optdowns.get().public_id,
    }[purpose]()
    return make_token(purpose, **{KEY[purpose]: named.hex})


def owner_of(found: Any) -> Subscriber:
    return found if isinstance(found, Subscriber) else found.subscriber


def assert_bad_link_page(response: Any, *people: Subscriber) -> None:
    """The friendly bad-link page (or no such page): nobody's data on it."""
    assert_not_an_error(response)
    assert response.status_code in {400, 404, 405}
    html = response.content.decode()
    for person in people:
        assert person.email not in html and person.first_name not in html


# --- read_token ---------------------------------------------------------------------------


@given(purpose=PURPOSES, token=TEXT)
def test_any_text_is_a_bad_link_or_a_payload(purpose: Purpose, token: str) -> None:
    with contextlib.suppress(BadLink):
        assert isinstance(read_token(purpose, token), dict)


@given(purpose=PURPOSES, payload=st.dictionaries(TEXT, TEXT, max_size=4))
def test_a_genuine_token_round_trips(purpose: Purpose, payload: dict[str, str]) -> None:
    assert read_token(purpose, make_token(purpose, **payload)) == payload


@given(made_for=PURPOSES, opened_as=PURPOSES, payload=st.dictionaries(TEXT, TEXT, max_size=4))
def test_a_token_opens_no_other_purpose(
    made_for: Purpose, opened_as: Purpose, payload: dict[str, str]
) -> None:
    assume(made_for != opened_as)
    with pytest.raises(BadLink):
        read_token(opened_as, make_token(made_for, **payload))


@given(purpose=PURPOSES, age_days=st.integers(0, 1000))
def test_a_token_expires_at_its_purposes_age(purpose: Purpose, age_days: int) -> None:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - age_days * 86400 - 1):
        token = make_token(purpose, s="0" * 32)
    if age_days < max_age(purpose).days:
        assert read_token(purpose, token) == {"s": "0" * 32}
    else:
        with pytest.raises(ExpiredLink):
            read_token(purpose, token)


def tampered(token: str, data: st.DataObject) -> str:
    """The token as a mail client, a person or an attacker might mangle it."""
    where = data.draw(st.integers(0, len(token)))
    how = data.draw(st.sampled_from(["replace", "truncate", "insert", "drop", "case"]))
    char = data.draw(st.characters(exclude_categories=["Cs"]))
    return {
        "replace": token[:where] + char + token[where + 1 :],
        "truncate": token[:where],
        "insert": token[:where] + char + token[where:],
        "drop": token[:where] + token[where + 1 :],
        "case": token.swapcase(),
    }[how]


@through_site
@given(purpose=PURPOSES, data=st.data())
def test_a_tampered_token_gets_the_bad_link_page(
    client: Client, people: dict[str, Subscriber], purpose: Purpose, data: st.DataObject
) -> None:
    person = people[data.draw(st.sampled_from(PEOPLE))]
    token = tampered(genuine_token(purpose, person), data)
    assume(token != genuine_token(purpose, person) and token)
    with pytest.raises(BadLink):
        open_link(purpose, token)
    for page in PAGES[purpose]:
        response = client.post(page.format(quote(token, safe="")))
        assert_bad_link_page(response, *people.values())


@through_site
@given(purpose=PURPOSES, token=TEXT, method=st.sampled_from(["get", "post", "head"]))
def test_any_text_in_a_link_gets_the_bad_link_page(
    client: Client, people: dict[str, Subscriber], purpose: Purpose, token: str, method: str
) -> None:
    assume(token.strip("/."))
    for page in PAGES[purpose]:
        response = getattr(client, method)(page.format(quote(token, safe="")))
        assert_bad_link_page(response, *people.values())


@through_site
@given(purpose=PURPOSES, payload=PAYLOADS, method=st.sampled_from(["get", "post"]))
def test_a_forged_payload_never_fails(
    client: Client, people: dict[str, Subscriber], purpose: Purpose, payload: Any, method: str
) -> None:
    """Signed with the site's key (as if it leaked): still never a 500, and
    nothing opens unless the payload names a real row."""
    token = signing.dumps(payload, salt=_salt(purpose))
    for page in PAGES[purpose]:
        response = getattr(client, method)(page.format(token))
        assert_not_an_error(response)
        named = payload.get(KEY[purpose]) if isinstance(payload, dict) else None
        if parse_public_id(named) is None:
            assert response.status_code in {400, 405}


@shared
@given(purpose=PURPOSES, name=st.sampled_from(PEOPLE))
def test_a_genuine_token_opens_its_own_person_only(
    people: dict[str, Subscriber], purpose: Purpose, name: str
) -> None:
    found, language = open_link(purpose, genuine_token(purpose, people[name]))
    assert owner_of(found) == people[name]
    assert language == people[name].language


@through_site
@given(name=st.sampled_from(PEOPLE))
def test_a_preferences_link_shows_its_own_person_only(
    client: Client, people: dict[str, Subscriber], name: str
) -> None:
    assert client.get(f"/preferences/{genuine_token(Purpose.PREFERENCES, people[name])}/").status_code == 302
    html = client.get("/preferences/edit/").content.decode()
    assert people[name].email in html
    assert not [other for other in PEOPLE if other != name and f"{other}@example.com" in html]


# --- the preferences form's signed snapshot -------------------------------------------------

SNAPSHOTS = st.builds(Snapshot, TEXT, TEXT, TEXT, TEXT, st.frozensets(TEXT, max_size=3))


@shared
@given(value=st.one_of(TEXT, JSON.map(lambda payload: signing.dumps(payload, salt=SHOWN_SALT))))
def test_any_snapshot_is_refused_or_read(people: dict[str, Subscriber], value: str) -> None:
    shown = read_shown(people["ana"], value)
    assert shown is None or isinstance(shown, Snapshot)


@shared
@given(shown=SNAPSHOTS)
def test_a_snapshot_round_trips_for_its_person_only(people: dict[str, Subscriber], shown: Snapshot) -> None:
    signed = sign_shown(people["ana"], shown)
    assert read_shown(people["ana"], signed) == shown
    assert read_shown(people["ben"], signed) is None
    assert read_shown(people["ana"], signed[:-1]) is None


# --- public ids -------------------------------------------------------------------------------


@given(value=st.one_of(TEXT, JSON, st.uuids()))
def test_a_public_id_is_a_uuid_or_none(value: Any) -> None:
    parsed = parse_public_id(value)
    assert parsed is None or isinstance(parsed, uuid.UUID)


@given(value=st.uuids(), spelling=st.sampled_from([str, lambda u: u.hex, lambda u: u.urn, lambda u: u]))
def test_a_public_id_reads_in_every_spelling_of_a_uuid(value: uuid.UUID, spelling: Any) -> None:
    assert parse_public_id(spelling(value)) == value


@shared
@given(value=st.one_of(TEXT, JSON, st.uuids()))
def test_by_public_id_finds_nothing_for_anything_else(people: dict[str, Subscriber], value: Any) -> None:
    assume(parse_public_id(value) not in {person.public_id for person in people.values()})
    assert Subscriber.objects.by_public_id(value) is None
    assert OptOut.objects.by_public_id(value) is None


# --- RFC 8058 one-click -----------------------------------------------------------------------


@through_site
@given(
    value=st.one_of(st.sampled_from(["One-Click", "one-click", "One-Click ", "OneClick", ""]), TEXT),
    field=st.sampled_from(["List-Unsubscribe", "list-unsubscribe", "List-Unsubscribe-Post"]),
    multipart=st.booleans(),
)
def test_only_the_exact_one_click_body_unsubscribes(
    people: dict[str, Subscriber], value: str, field: str, multipart: bool
) -> None:
    """A mail provider's POST: no cookie, no CSRF token; always a 200."""
    OptOut.objects.all().delete()
    mail_client = Client(enforce_csrf_checks=True)
    path = f"/unsubscribe/{genuine_token(Purpose.UNSUBSCRIBE, people['ana'])}/"
    if multipart:
        response = mail_client.post(path, {field: value})
    else:
        body = f"{quote(field)}={quote(value)}"
        response = mail_client.post(path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    one_click = field == "List-Unsubscribe" and value == "One-Click"
    assert OptOut.objects.filter(subscriber=people["ana"]).exists() == one_click
