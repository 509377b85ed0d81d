"""Every form, fed anything a script can send: as a form class, and posted
through the test client to every public page that takes a POST. No input is
a 500; bad input gets the form again with a message (or a 4xx), and what was
typed is still in it."""

from html import escape
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signup_site.campaign.addresses import AddressRefused, canonical_address
from signup_site.campaign.models import OptOut, PendingEmailChange, Subscriber, Topic
from signup_site.campaign.preferences import Snapshot
from signup_site.web.forms import EmailLinkForm, OptOutReasonForm, PreferencesForm, SignupForm
from signup_site.web.links import Purpose, make_token
from signup_site.web.preferences import SUBSCRIBER_KEY, sign_shown
from tests.fuzz_support import TEXT, VALUE, assert_not_an_error, form_bodies, last, post
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up

# Many sign-ups from one test client: the abuse limits are tested elsewhere (test_limits.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unlimited")]
# One database and one client per test, shared by its examples: what one
# example leaves behind (a sign-up, an opt-out) is more input for the next.
shared = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# A request through the whole site costs a hundred times a form's clean: a
# quarter of the profile's examples keeps the file within a minute or so.
through_site = settings(shared, max_examples=max(10, settings().max_examples // 4))

PERSON = ("email", "first_name", "last_name", "language")
TOPIC_IDS = st.one_of(VALUE, st.lists(st.integers(-(2**70), 2**70).map(str), max_size=3))
SIGNUP_BODIES = form_bodies(*PERSON, "topics")
PREFERENCES_BODIES = form_bodies(*PERSON, "topics", "shown")
REASON_BODIES = form_bodies("reason", "reason_text", "optout")


def as_posted(body: dict[str, Any]) -> QueryDict:
    """A body as the view reads it: encoded by a browser, parsed by Django."""
    return QueryDict(urlencode(body, doseq=True))


def assert_cleaned(form: Any) -> None:
    """What a valid form hands on is normalised: the one canonical address,
    names with white space folded and no NUL, a listed language."""
    data = form.cleaned_data
    assert canonical_address(data["email"]) == data["email"]
    for name in ("first_name", "last_name"):
        assert data[name] == " ".join(data[name].split())
        assert "\x00" not in data[name]
    assert data["language"] in {"en", "es"}


# --- the form classes -----------------------------------------------------------------------


@shared
@given(body=SIGNUP_BODIES, topics=TOPIC_IDS)
def test_signup_form_validates_any_body(seeded: None, body: dict[str, Any], topics: Any) -> None:
    form = SignupForm(as_posted({**body, "topics": topics}))
    if form.is_valid():
        assert_cleaned(form)
        assert {topic.pk for topic in form.cleaned_data["topics"]} <= set(
            Topic.objects.values_list("pk", flat=True)
        )
    else:
        assert form.errors


@shared
@given(body=PREFERENCES_BODIES)
def test_preferences_form_validates_any_body(seeded: None, body: dict[str, Any]) -> None:
    topics = tuple(Topic.objects.all())
    form = PreferencesForm(as_posted(body), topics=topics)
    if form.is_valid():
        assert_cleaned(form)
        assert set(form.cleaned_data["topics"]) <= {topic.service_name for topic in topics}
    else:
        assert form.errors


@given(body=form_bodies("email"))
def test_email_link_form_validates_any_body(body: dict[str, Any]) -> None:
    form = EmailLinkForm(as_posted(body))
    if form.is_valid():
        assert canonical_address(form.cleaned_data["email"]) == form.cleaned_data["email"]
    else:
        assert "email" in form.errors


@given(body=REASON_BODIES)
def test_opt_out_reason_form_validates_any_body(body: dict[str, Any]) -> None:
    form = OptOutReasonForm(as_posted(body))
    if form.is_valid():
        assert form.cleaned_data["reason"] in {"", *OptOut.Reason.values}
        assert len(form.cleaned_data["reason_text"]) <= 1000
        assert "\x00" not in form.cleaned_data["reason_text"]
    else:
        assert form.errors


# --- through the test client -------------------------------------------------------------


def assert_input_kept(response: Any, body: dict[str, Any], *fields: str) -> None:
    """The form shown again still holds what was typed into each text field."""
    html = response.content.decode()
    for name in fields:
        typed = last(body.get(name))
        if typed and typed.strip():
            assert f'value="{escape(typed)}"' in html, f"{name}={typed!r} lost"


@through_site
@given(body=SIGNUP_BODIES, topics=TOPIC_IDS, multipart=st.booleans())
def test_signup_page_never_fails(
    client: Client, seeded: None, body: dict[str, Any], topics: Any, multipart: bool
) -> None:
    body = {**body, "topics": topics}
    response = post(client, "/signup/", body, multipart)
    if response.status_code == 302:
        assert response["Location"] == "/signup/sent/"
    else:
        assert response.status_code == 200
        html = html_of(response)
        assert "There is a problem" in html
        assert_input_kept(response, body, "email", "first_name", "last_name")


@through_site
@given(first_name=TEXT, last_name=TEXT)
def test_any_names_sign_up_confirm_and_reach_campaign(
    client: Client, newsletter: Topic, first_name: str, last_name: str
) -> None:
    """Names are whatever people call themselves: every sign-up that is taken
    is mailed, confirmed and delivered, none parked."""
    body = {"email": "names@example.com", "language": "es", "topics": [str(newsletter.pk)]}
    response = post(client, "/signup/", {**body, "first_name": first_name, "last_name": last_name})
    if response.status_code != 302:
        assert "There is a problem" in html_of(response)
        return
    run_worker()
    confirm = link_in(mail.outbox[-1], "/confirm/")
    assert post(client, confirm, {}).status_code == 303  # to the result page (PRG)
    run_worker()
    assert Subscriber.objects.get(email="names@example.com").changes.exclude(status="done").count() == 0


@given(body=st.one_of(form_bodies("email"), st.binary(max_size=500)), multipart=st.booleans())
@through_site
def test_email_me_my_link_never_fails(client: Client, seeded: None, body: Any, multipart: bool) -> None:
    response = post(client, "/preferences/", body, multipart)
    assert response.status_code == 200
    if "There is a problem" in html_of(response) and not isinstance(body, bytes):
        assert_input_kept(response, body, "email")


@pytest.fixture
def person(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    """A confirmed person, whose Update Details link `client` has followed."""
    sign_up(client, "person@example.com", newsletter, first_name="Person", last_name="Known")
    confirm_latest(client)
    assert client.get(link_in(mail.outbox[-1], "/preferences/")).status_code == 302
    return Subscriber.objects.get(email="person@example.com")


def snapshot(person: Subscriber) -> str:
    """The snapshot the page showed this person when their link was opened."""
    shown = Snapshot("Person", "Known", person.email, "en", frozenset({"NEWSLETTER"}))
    return sign_shown(person, shown)


@through_site
@given(body=PREFERENCES_BODIES, genuine_snapshot=st.booleans(), multipart=st.booleans())
def test_preferences_edit_never_fails(
    client: Client, person: Subscriber, body: dict[str, Any], genuine_snapshot: bool, multipart: bool
) -> None:
    if genuine_snapshot:
        body = {**body, "shown": snapshot(person)}
    response = post(client, "/preferences/edit/", body, multipart)
    if response.status_code == 303:
        return  # taken (or, after an email change, the session is still this person's)
    assert response.status_code == 200
    html = html_of(response)
    if "There is a problem" in html:
        assert_input_kept(response, body, "email", "first_name", "last_name")
    assert client.session[SUBSCRIBER_KEY] == person.public_id.hex


@through_site
@given(body=form_bodies("scope", "List-Unsubscribe"), topic=st.booleans(), multipart=st.booleans())
def test_opt_out_page_never_fails(
    client: Client, person: Subscriber, newsletter: Topic, body: dict[str, Any], topic: bool, multipart: bool
) -> None:
    payload = {"s": person.public_id.hex, **({"t": newsletter.slug} if topic else {})}
    before = OptOut.objects.count()
    response = post(client, f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, **payload)}/", body, multipart)
    one_click = last(body.get("List-Unsubscribe")) == "One-Click"
    chose = last(body.get("scope")) == "all" or (topic and last(body.get("scope")) == "topic")
    # RFC 8058 answers 200; the page's choice, 303 to its goodbye page; no choice, the page again.
    assert response.status_code == (200 if one_click or not chose else 303)
    if not (one_click or chose):
        assert OptOut.objects.count() == before  # a POST that chooses nothing changes nothing


@through_site
@given(body=REASON_BODIES, own_optout=st.booleans(), step=st.sampled_from(["reason", "undo"]))
def test_goodbye_forms_never_fail(
    client: Client, person: Subscriber, body: dict[str, Any], own_optout: bool, step: str
) -> None:
    token = make_token(Purpose.UNSUBSCRIBE, s=person.public_id.hex)
    post(client, f"/unsubscribe/{token}/", {"scope": "all"})
    if own_optout:
        body = {**body, "optout": OptOut.objects.filter(subscriber=person).latest("id").public_id.hex}
    response = post(client, f"/unsubscribe/{token}/{step}/", body)
    if not own_optout and last(body.get("optout")) is None:
        assert response.status_code == 400
    assert response.status_code in {200, 303, 400}
    if response.status_code == 200 and "There is a problem" in html_of(response):
        typed = last(body.get("reason_text"))  # a textarea: its text, not a value attribute
        assert not typed or escape(typed) in response.content.decode()


@through_site
@given(body=form_bodies("csrfmiddlewaretoken", "confirm"), multipart=st.booleans())
def test_confirm_and_email_change_pages_never_fail(
    client: Client, person: Subscriber, body: dict[str, Any], multipart: bool
) -> None:
    signup = person.signups.latest("id")
    confirm = post(
        client, f"/confirm/{make_token(Purpose.CONFIRM, p=signup.public_id.hex)}/", body, multipart
    )
    assert confirm.status_code == 303  # to the result page (Post/Redirect/Get)
    change = PendingEmailChange.objects.get_or_create(subscriber=person, new_email="moved@example.com")[0]
    token = make_token(Purpose.EMAIL_CHANGE, c=change.public_id.hex)
    # To the result page (Post/Redirect/Get).
    assert post(client, f"/preferences/email/{token}/", body, multipart).status_code == 303


PAGES = ["/", "/signup/", "/signup/sent/", "/preferences/", "/preferences/edit/", "/healthz"]


@through_site
@given(
    page=st.sampled_from(PAGES),
    query=st.one_of(st.dictionaries(TEXT, VALUE, max_size=4).map(lambda q: urlencode(q, doseq=True)), TEXT),
)
def test_any_query_string_on_any_page(client: Client, person: Subscriber, page: str, query: str) -> None:
    response = client.get(f"{page}?{query}")
    assert_not_an_error(response)
    assert response.status_code in {200, 302, 503 if page == "/healthz" else 200}


@given(raw=TEXT)
def test_canonical_address_refuses_with_a_reason_or_answers_canonical(raw: str) -> None:
    try:
        address = canonical_address(raw)
    except AddressRefused as refused:
        assert refused.reason
    else:
        assert canonical_address(address) == address
