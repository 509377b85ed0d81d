"""The admin's "Embed the sign-up form" page: a snippet that, pasted into
another site and posted as it is, signs a person up here."""

import json
import re
import shlex
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import translation

from signup_site.campaign.models import ConsentRecord, PendingSignup, Topic
from signup_site.content.consent import DEFAULT_VERSION as CONSENT_VERSION
from signup_site.content.consent import consent_sha256, current_wording
from tests.helpers import html_of, run_worker

pytestmark = pytest.mark.django_db

PAGE = "/admin/embed/"


class SnippetForm(HTMLParser):
    """The form in a snippet, read as a browser reads it."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action = ""
        self.method = ""
        self.controls: list[dict[str, str]] = []
        self.options: dict[str, list[tuple[str, bool]]] = {}
        self.labels: set[str] = set()
        self.text: dict[str, str] = {}
        self._select = ""
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action, self.method = attributes["action"], attributes["method"]
        elif tag == "input":
            self.controls.append(attributes)
        elif tag == "select":
            self._select = attributes["name"]
            self.controls.append({**attributes, "type": "select"})
        elif tag == "option":
            self.options.setdefault(self._select, []).append((attributes["value"], "selected" in attributes))
        elif tag == "label":
            self.labels.add(attributes["for"])
        if "id" in attributes and tag == "p":
            self._in = attributes["id"]

    def handle_data(self, data: str) -> None:
        if self._in:
            self.text[self._in] = self.text.get(self._in, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in = None

    def submit(self, typed: dict[str, str], ticked: set[str]) -> list[tuple[str, str]]:
        """The fields a browser sends: what was typed, the boxes ticked, the selected options."""
        fields = []
        for control in self.controls:
            name = control.get("name", "")
            if control["type"] == "checkbox":
                if control["value"] in ticked:
                    fields.append((name, control["value"]))
            elif control["type"] == "select":
                fields += [(name, value) for value, selected in self.options[name] if selected]
            elif name:
                fields.append((name, typed.get(name, control.get("value", ""))))
        return fields


@pytest.fixture
def staff(client: Client) -> Client:
    user = User.objects.create_user(
        "marketer", password="pw-for-tests-only", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


def snippet_of(client: Client, language: str = "en") -> str:
    response = client.get(PAGE, {"snippet_language": language})
    assert response.status_code == 200
    return str(response.context["snippet"])


def test_the_page_is_for_staff_only(client: Client, seeded: None) -> None:
    assert client.get(PAGE).status_code == 302  # to the admin's login
    client.force_login(User.objects.create_user("someone", password="pw-for-tests-only"))
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_topics_admin_links_to_it(staff: Client, seeded: None) -> None:
    assert f'href="{PAGE}"' in html_of(staff.get("/admin/campaign/topic/"))
    assert "Embed the sign-up form" in html_of(staff.get("/admin/campaign/topic/"))


def test_the_snippet_is_a_labelled_form_with_the_live_topics(
    staff: Client, newsletter: Topic, offers: Topic
) -> None:
    Topic.objects.filter(pk=offers.pk).update(show_on_signup=False)
    form = SnippetForm(snippet_of(staff))

    assert (form.method, form.action) == ("post", "http://testserver/api/signup?lang=en")
    # The honeypot (no person sees it or reaches it by keyboard) aside.
    [honeypot] = [control for control in form.controls if control.get("name") == "homepage"]
    assert honeypot["tabindex"] == "-1"
    named = [
        control for control in form.controls if control.get("type") != "hidden" and control is not honeypot
    ]
    assert {control["name"] for control in named} == {
        "email",
        "first_name",
        "last_name",
        "language",
        "topics",
    }
    assert all(control["id"] in form.labels for control in named)  # every field has its label
    assert [c["value"] for c in form.controls if c["type"] == "checkbox"] == ["newsletter"]
    assert form.text["signup-consent"].strip() == current_wording("en").text


def test_the_snippet_posted_as_it_is_signs_a_person_up(staff: Client, newsletter: Topic) -> None:
    form = SnippetForm(snippet_of(staff, "es"))
    fields = form.submit({"email": "embedded@example.com", "first_name": "Eva"}, ticked={"newsletter"})
    target = urlsplit(form.action)

    visitor = Client()  # a stranger's browser on another site: no cookie, no CSRF token
    response = visitor.post(
        f"{target.path}?{target.query}",
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9",
        HTTP_ORIGIN="https://www.brand.example",
    )

    assert response.status_code == 303
    assert response["Location"] == "/signup/sent/?lang=es"
    run_worker()  # the worker takes the sign-up in
    signup = PendingSignup.objects.get()
    assert (signup.subscriber.email, signup.first_name, signup.language) == (
        "embedded@example.com",
        "Eva",
        "es",
    )
    assert list(signup.topics.all()) == [newsletter]
    # The wording recorded is the wording the snippet showed, whatever the browser's language.
    shown = form.text["signup-consent"].strip()
    with translation.override("es"):
        assert shown == current_wording("es").text
    record = ConsentRecord.objects.get()
    assert (record.wording_version, record.wording_sha256) == (CONSENT_VERSION, consent_sha256(shown))
    run_worker()
    assert mail.outbox[0].to == ["embedded@example.com"]


def test_the_curl_example_works_as_written(staff: Client, newsletter: Topic) -> None:
    curl = str(staff.get(PAGE).context["curl"])
    words = shlex.split(curl.replace("\\\n", " "))
    body = json.loads(words[words.index("--data") + 1])
    url = urlsplit(words[words.index("-X") + 2])
    assert "Content-Type: application/json" in words

    response = Client().post(url.path, json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    run_worker()  # the worker takes the sign-up in
    assert PendingSignup.objects.filter(subscriber__email=body["email"]).exists()


def test_the_copy_buttons_run_no_inline_script(staff: Client, seeded: None) -> None:
    html = html_of(staff.get(PAGE))
    assert html.count("data-copy=") == 2
    scripts: list[Any] = re.findall(r"<script([^>]*)>(.*?)</script>", html)
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "/static/embed-copy.js" in html
    assert staff.get("/static/embed-copy.js").status_code == 200


def test_an_arabic_snippet_carries_its_language_and_direction(staff: Client, seeded: None) -> None:
    """Pasted into a page in another language, the form still reads right to
    left and is announced in Arabic; its hidden honeypot overflows on the side
    that does not scroll."""
    arabic = snippet_of(staff, "ar")
    assert arabic.startswith('<form method="post" action="http://testserver/api/signup?lang=ar"')
    assert 'accept-charset="utf-8" lang="ar" dir="rtl">' in arabic
    assert "inset-inline-start:-10000px" in arabic
    english = snippet_of(staff, "en")
    assert 'lang="en">' in english and 'dir="rtl"' not in english
