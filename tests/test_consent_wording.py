"""The consent statement, versioned in the admin per language: what the
sign-up page shows, and what each consent record keeps of it."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from signup_site.campaign.models import ConsentRecord, PendingSignup, Topic
from signup_site.content.consent import DEFAULT_VERSION, consent_sha256, default_wording
from signup_site.content.models import ConsentWording
from tests.helpers import confirm_latest, html_of, run_worker

pytestmark = pytest.mark.django_db

NEW_EN = "Sign up and we will email you what you ticked. We keep a record of this consent."
NEW_ES = "Al suscribirte recibirás los correos que marcaste. Guardamos constancia de este consentimiento."


@pytest.fixture
def marketer(db: None) -> Client:
    admin = Client()
    admin.force_login(User.objects.create_superuser("marketer", "marketer@example.com", "pw"))
    return admin


def publish(marketer: Client, language: str, text: str) -> ConsentWording:
    response = marketer.post("/admin/content/consentwording/add/", {"language": language, "text": text})
    assert response.status_code == 302, html_of(response)[-3000:]
    return ConsentWording.objects.filter(language=language).order_by("-number").first()  # type: ignore[return-value]


def shown_on(page: str) -> str:
    """The signed statement version a sign-up page carries, as a browser sends it back."""
    found = re.search(r'<input type="hidden" name="consent" value="([^"]+)">', page)
    assert found, "no consent version on the page"
    return found.group(1)


def post_signup(client: Client, email: str, topic: Topic, consent: str | None, lang: str = "en") -> None:
    data = {"email": email, "language": lang, "topics": [str(topic.pk)]}
    if consent is not None:
        data["consent"] = consent
    response = client.post(f"/signup/?lang={lang}", data)
    assert response.status_code == 302, html_of(response)[-2000:]
    run_worker()


def request_record(email: str) -> ConsentRecord:
    return ConsentRecord.objects.get(subscriber__email=email, kind=ConsentRecord.Kind.REQUEST)


def test_a_new_version_is_shown_and_recorded_while_old_evidence_keeps_its_hash(
    client: Client, marketer: Client, newsletter: Topic
) -> None:
    page = html_of(client.get("/signup/"))
    post_signup(client, "before@example.com", newsletter, shown_on(page))
    before = request_record("before@example.com")
    assert before.wording_version == DEFAULT_VERSION
    assert before.wording_sha256 == consent_sha256(default_wording("en").text)

    wording = publish(marketer, "en", NEW_EN)
    assert wording.version == "en-v1"
    page = html_of(client.get("/signup/"))
    assert NEW_EN in page
    assert default_wording("en").text not in page
    post_signup(client, "after@example.com", newsletter, shown_on(page))

    after = request_record("after@example.com")
    assert (after.wording_version, after.wording_sha256) == ("en-v1", consent_sha256(NEW_EN))
    before.refresh_from_db()
    assert before.wording_version == DEFAULT_VERSION
    assert before.wording_sha256 == consent_sha256(default_wording("en").text)


def test_a_version_published_while_the_page_is_open_is_not_what_the_person_read(
    client: Client, marketer: Client, newsletter: Topic
) -> None:
    first = publish(marketer, "en", NEW_EN)
    page = html_of(client.get("/signup/"))  # the person reads en-v1...
    publish(marketer, "en", "A newer statement, published meanwhile.")  # ...en-v2 goes live...
    post_signup(client, "reader@example.com", newsletter, shown_on(page))  # ...and they press Sign up.
    record = request_record("reader@example.com")
    assert record.wording_version == first.version
    assert record.wording_sha256 == consent_sha256(NEW_EN)


def test_the_confirmation_records_the_statement_the_signup_showed(
    client: Client, marketer: Client, newsletter: Topic
) -> None:
    post_signup(client, "later@example.com", newsletter, shown_on(html_of(client.get("/signup/"))))
    publish(marketer, "en", NEW_EN)  # between the sign-up and the press on the link
    confirm_latest(client)
    request, confirmation = ConsentRecord.objects.filter(subscriber__email="later@example.com").order_by("pk")
    assert confirmation.kind == ConsentRecord.Kind.CONFIRMATION
    assert confirmation.wording_version == request.wording_version == DEFAULT_VERSION
    assert confirmation.wording_sha256 == request.wording_sha256


@pytest.mark.parametrize(
    "consent", ["tampered", "W1siZW4iLCJlbi12OSJd:forged", "en-v1"], ids=["garbage", "forged", "unsigned"]
)
def test_a_form_naming_a_statement_never_shown_is_refused_and_shows_the_current_one(
    client: Client, marketer: Client, newsletter: Topic, consent: str
) -> None:
    publish(marketer, "en", NEW_EN)
    response = client.post(
        "/signup/",
        {"email": "kept@example.com", "language": "en", "topics": [str(newsletter.pk)], "consent": consent},
    )
    page = html_of(response)
    assert response.status_code == 200
    assert "The consent statement has changed since this page was opened" in page
    assert 'role="alert"' in page
    assert 'value="kept@example.com"' in page  # nothing typed is lost
    assert NEW_EN in page
    assert not PendingSignup.objects.exists()
    post_signup(client, "kept@example.com", newsletter, shown_on(page))
    assert request_record("kept@example.com").wording_version == "en-v1"


def test_a_signed_version_that_does_not_exist_is_refused(client: Client, newsletter: Topic) -> None:
    from django.core import signing

    from signup_site.web.consent import SALT

    forged = signing.dumps(["en", "en-v7"], salt=SALT)  # signed, but never published
    response = client.post(
        "/signup/",
        {"email": "x@example.com", "language": "en", "topics": [str(newsletter.pk)], "consent": forged},
    )
    assert response.status_code == 200
    assert not PendingSignup.objects.exists()


def test_a_form_without_a_version_records_the_current_statement(
    client: Client, marketer: Client, newsletter: Topic
) -> None:
    publish(marketer, "en", NEW_EN)
    post_signup(client, "embedded@example.com", newsletter, None)
    assert request_record("embedded@example.com").wording_version == "en-v1"


def test_published_versions_cannot_be_edited_or_deleted(marketer: Client) -> None:
    wording = publish(marketer, "en", NEW_EN)
    url = f"/admin/content/consentwording/{wording.pk}/change/"
    view = marketer.get(url)
    assert view.status_code == 200
    assert 'name="text"' not in view.content.decode()  # shown read-only
    assert "Write a new version from this one" in view.content.decode()
    edited = marketer.post(url, {"language": "en", "text": "Edited in place"})
    assert edited.status_code == 403
    assert (
        marketer.post(f"/admin/content/consentwording/{wording.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    wording.refresh_from_db()
    assert wording.text == NEW_EN
    assert ConsentWording.objects.count() == 1
    wording.text = "Edited in code"
    with pytest.raises(ValueError):
        wording.save()
    with pytest.raises(ValueError):
        wording.delete()


def test_editing_a_version_publishes_a_new_one_and_keeps_the_old(marketer: Client) -> None:
    old = publish(marketer, "es", NEW_ES)
    form = html_of(marketer.get(f"/admin/content/consentwording/add/?from={old.pk}"))
    assert NEW_ES in form  # the new version starts from the old text
    new = publish(marketer, "es", NEW_ES + " Puedes darte de baja cuando quieras.")
    assert (old.version, new.version) == ("es-v1", "es-v2")
    old.refresh_from_db()
    assert old.text == NEW_ES
    assert new.created_by == "marketer"
    listing = html_of(marketer.get("/admin/content/consentwording/"))
    assert "es-v1" in listing and "es-v2" in listing


def test_publishing_the_text_already_shown_is_refused(marketer: Client) -> None:
    publish(marketer, "en", NEW_EN)
    response = marketer.post("/admin/content/consentwording/add/", {"language": "en", "text": NEW_EN})
    assert response.status_code == 200
    assert "This is the wording already shown" in html_of(response)
    assert ConsentWording.objects.count() == 1


def test_spanish_and_english_are_versioned_independently(
    client: Client, marketer: Client, newsletter: Topic
) -> None:
    publish(marketer, "es", NEW_ES)
    assert NEW_ES in html_of(client.get("/signup/?lang=es"))
    english = html_of(client.get("/signup/?lang=en"))
    assert default_wording("en").text in english
    post_signup(client, "en@example.com", newsletter, shown_on(english), "en")
    post_signup(client, "es@example.com", newsletter, shown_on(html_of(client.get("/signup/?lang=es"))), "es")
    en, es = request_record("en@example.com"), request_record("es@example.com")
    assert (en.language, en.wording_version) == ("en", DEFAULT_VERSION)
    assert (es.language, es.wording_version, es.wording_sha256) == ("es", "es-v1", consent_sha256(NEW_ES))
    publish(marketer, "en", NEW_EN)
    assert [w.version for w in ConsentWording.objects.order_by("pk")] == ["es-v1", "en-v1"]
