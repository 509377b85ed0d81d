"""Opt down instead of out, on the local backend: fewer emails or a pause,
offered on the unsubscribe and preferences pages, one POST each, a result
page one can reload, undo, evidence, and the sweeper's reminder and resume
(time moved by passing `now`, never slept)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from signup_site.campaign.delivery import is_suppressed
from signup_site.campaign.models import Change, LocalProfile, OptDownRecord, OptOut, Pause, Subscriber, Topic
from signup_site.campaign.optdown import resume_date, sweep_pauses
from signup_site.campaign.privacy import export_data, request_erasure
from signup_site.web.links import Purpose, make_token
from tests.helpers import confirm_latest, html_of, link_in, path_of, run_worker, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    sign_up(client, "sam@example.com", newsletter, offers, first_name="Sam")
    confirm_latest(client)
    return Subscriber.objects.get(email="sam@example.com")


def unsubscribe_path(subscriber: Subscriber) -> str:
    return f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=subscriber.public_id.hex)}/"


def profile() -> LocalProfile:
    run_worker()
    return LocalProfile.objects.get()


def choose(client: Client, subscriber: Subscriber, **data: str) -> str:
    """Press an opt-down button on the unsubscribe page; the result page's path."""
    response = client.post(unsubscribe_path(subscriber) + "fewer/", data)
    assert response.status_code == 303
    assert response["Location"].startswith("/fewer/")
    return str(response["Location"])


def undo_path(result_html: str) -> str:
    found = re.search(r'action="(/fewer/[^"]+/undo/)"', result_html)
    assert found, "no Undo button"
    return found.group(1)


def test_unsubscribe_page_offers_fewer_emails_and_a_pause_before_its_button(
    client: Client, sam: Subscriber
) -> None:
    path = unsubscribe_path(sam)  # once: a token made a second later differs
    html = html_of(client.get(path))
    fewer = html.index('name="frequency" value="weekly"')
    pause = html.index('name="days" value="30"')
    leave = html.index('name="scope" value="all"')
    assert fewer < leave and pause < leave
    assert "Weekly digest" in html and "Monthly digest" in html
    assert 'name="days" value="60"' in html and 'name="days" value="90"' in html
    assert f'action="{path}fewer/"' in html
    # Buttons of POST forms: a link scanner's GET can do nothing.
    assert client.get(unsubscribe_path(sam) + "fewer/").status_code == 405


def test_weekly_digest_reaches_campaign_is_recorded_and_the_result_reloads(
    client: Client, sam: Subscriber
) -> None:
    result = choose(client, sam, frequency="weekly")
    for _ in range(2):  # a reload shows the same page, changes nothing more
        page = client.get(result)
        assert page.status_code == 200
        assert "You will receive: Weekly digest." in html_of(page)
    assert Subscriber.objects.get().email_frequency == "weekly"
    assert profile().email_frequency == "weekly"
    assert not OptOut.objects.exists()  # fewer emails, not none
    record = OptDownRecord.objects.get()
    assert (record.kind, record.choice, record.previous) == ("frequency", "weekly", "")
    assert record.wording == "How often would you like our emails? Weekly digest"
    assert record.source == "/unsubscribe/"  # the page, never its token
    assert record.language == "en" and len(record.wording_sha256) == 64
    assert record.ip_address == "127.0.0.1"


def test_undo_restores_the_frequency_once(client: Client, sam: Subscriber) -> None:
    result = choose(client, sam, frequency="monthly")
    assert profile().email_frequency == "monthly"
    undo = undo_path(html_of(client.get(result)))
    assert client.get(undo).status_code == 405
    response = client.post(undo)
    assert response.status_code == 303
    undone = html_of(client.get(response["Location"]))
    assert "Undone" in undone and "You will receive: Every email." in undone
    assert 'action="/fewer/' not in undone  # nothing left to undo
    assert profile().email_frequency == ""
    # A second press (Back, then Undo again) changes nothing more.
    assert client.post(undo)["Location"] == result
    assert OptDownRecord.objects.filter(kind="frequency_undone").count() == 1
    assert Subscriber.objects.get().email_frequency == ""


def test_a_frequency_not_offered_changes_nothing(client: Client, sam: Subscriber, settings: Settings) -> None:
    path = unsubscribe_path(sam)  # once: a token made a second later differs
    response = client.post(path + "fewer/", {"frequency": "hourly"})
    assert response.status_code == 303 and response["Location"] == path
    settings.OPTDOWN_FREQUENCIES = []
    settings.OPTDOWN_PAUSE_DAYS = []
    html = html_of(client.get(unsubscribe_path(sam)))
    assert 'name="frequency"' not in html and 'name="days"' not in html
    client.post(unsubscribe_path(sam) + "fewer/", {"frequency": "weekly"})
    client.post(unsubscribe_path(sam) + "fewer/", {"days": "30"})
    assert not OptDownRecord.objects.exists() and not Pause.objects.exists()


def test_pause_blacklists_until_the_date_then_reminds_once_and_resumes(
    client: Client, sam: Subscriber
) -> None:
    start = timezone.now()
    result = choose(client, sam, days="30")
    pause = Pause.objects.get()
    assert pause.resumes_at - start >= timedelta(days=30)
    assert "Your emails are paused until" in html_of(client.get(result))
    assert profile().black_list_email is True
    assert is_suppressed(sam, "special-offers")
    sent = len(mail.outbox)

    assert sweep_pauses(start + timedelta(days=26)) == (0, 0)  # not yet within 3 days
    assert sweep_pauses(start + timedelta(days=27, hours=1)) == (1, 0)
    assert sweep_pauses(start + timedelta(days=28)) == (0, 0)  # sent once
    run_worker()
    [reminder] = mail.outbox[sent:]
    assert reminder.to == ["sam@example.com"]
    assert reminder.subject.startswith("Your emails resume on ")
    # The preferences link: extend, resume now, or unsubscribe for good.
    assert client.get(link_in(reminder, "/preferences/")).status_code == 302
    assert link_in(reminder, "/unsubscribe/")

    assert sweep_pauses(pause.resumes_at + timedelta(seconds=1)) == (0, 1)
    assert profile().black_list_email is False
    assert not is_suppressed(sam)
    assert Pause.objects.get().ended_by == "resumed"
    assert OptDownRecord.objects.filter(kind="resumed", source="worker").count() == 1
    assert sweep_pauses(pause.resumes_at + timedelta(days=1)) == (0, 0)


def test_unsubscribing_for_good_during_a_pause_is_never_resumed(client: Client, sam: Subscriber) -> None:
    choose(client, sam, days="60")
    assert client.post(unsubscribe_path(sam), {"scope": "all"}).status_code == 303  # to the goodbye page
    assert Pause.objects.get().ended_by == "unsubscribed"
    assert sweep_pauses(timezone.now() + timedelta(days=61)) == (0, 0)
    assert profile().black_list_email is True
    assert not Change.objects.filter(kind=Change.Kind.UPDATE_PROFILE, payload__blacklist_email=False).exists()


def test_the_sweeper_does_not_resume_a_person_who_opted_out_meanwhile(sam: Subscriber) -> None:
    # An opt-out recorded beside the pause (not through the page, which ends it).
    pause = Pause.objects.create(subscriber=sam, days=30, resumes_at=timezone.now())
    OptOut.objects.create(subscriber=sam, topic=None, via=OptOut.Via.PAGE)
    assert sweep_pauses(timezone.now() + timedelta(seconds=1)) == (0, 0)
    pause.refresh_from_db()
    assert pause.ended_by == "unsubscribed"
    assert not Change.objects.filter(kind=Change.Kind.UPDATE_PROFILE, payload__blacklist_email=False).exists()


def test_undo_a_pause_lifts_the_blacklist(client: Client, sam: Subscriber) -> None:
    result = choose(client, sam, days="90")
    assert profile().black_list_email is True
    location = client.post(undo_path(html_of(client.get(result))))["Location"]
    assert "Your emails are no longer paused." in html_of(client.get(location))
    assert profile().black_list_email is False
    assert Pause.objects.get().ended_by == "undone"


def test_no_pause_for_someone_unsubscribed_from_everything(client: Client, sam: Subscriber) -> None:
    client.post(unsubscribe_path(sam), {"scope": "all"})
    html = html_of(client.get(unsubscribe_path(sam)))
    assert 'name="days"' not in html
    client.post(unsubscribe_path(sam) + "fewer/", {"days": "30"})
    assert not Pause.objects.exists()


def open_preferences(client: Client, subscriber: Subscriber) -> None:
    token = make_token(Purpose.PREFERENCES, s=subscriber.public_id.hex)
    assert client.get(f"/preferences/{token}/").status_code == 302


def test_preferences_page_shows_the_choice_extends_and_resumes(client: Client, sam: Subscriber) -> None:
    open_preferences(client, sam)
    html = html_of(client.get("/preferences/edit/"))
    assert 'action="/preferences/fewer/"' in html
    assert re.search(r'value=""[^>]*aria-current="true"', html)  # every email, for now
    response = client.post("/preferences/fewer/", {"frequency": "weekly"})
    assert response.status_code == 303
    assert OptDownRecord.objects.get().source == "/preferences/edit/"
    html = html_of(client.get("/preferences/edit/"))
    assert re.search(r'value="weekly"[^>]*aria-current="true"', html)

    client.post("/preferences/fewer/", {"days": "30"})
    first_date = Pause.objects.get().resumes_at
    html = html_of(client.get("/preferences/edit/"))
    assert "Your emails are paused until" in html and "30 more days" in html
    extended = client.post("/preferences/fewer/", {"days": "30"})["Location"]
    assert Pause.objects.get().resumes_at == first_date + timedelta(days=30)
    client.post(undo_path(html_of(client.get(extended))))
    assert Pause.objects.get().resumes_at == first_date  # the extension undone, the pause kept

    resumed = client.post("/preferences/fewer/", {"resume": "1"})["Location"]
    assert "Your emails have resumed" in html_of(client.get(resumed))
    assert Pause.objects.get().ended_by == "resumed_early"
    assert profile().black_list_email is False


def test_preferences_buttons_need_the_session(sam: Subscriber) -> None:
    response = Client().post("/preferences/fewer/", {"frequency": "weekly"})
    assert response.status_code == 302 and "expired" in response["Location"]
    assert not OptDownRecord.objects.exists()


def test_a_tampered_result_link_gets_the_friendly_page(client: Client, sam: Subscriber) -> None:
    result = choose(client, sam, frequency="weekly")
    response = client.get(result[:-3] + "xx/")
    assert response.status_code == 400
    assert "This link does not work" in html_of(response)
    assert client.post(result[:-3] + "xx/undo/").status_code == 400


def test_the_reminder_is_in_the_persons_language(client: Client, newsletter: Topic) -> None:
    sign_up(client, "ana@example.com", newsletter, first_name="Ana", language="es")
    confirm_latest(client)
    ana = Subscriber.objects.get(email="ana@example.com")
    path = path_of(choose(client, ana, days="30"))
    assert "Tus correos están en pausa hasta" in html_of(client.get(path))
    sweep_pauses(timezone.now() + timedelta(days=28))
    run_worker()
    reminder = mail.outbox[-1]
    assert reminder.subject.startswith("Tus correos vuelven el ")
    assert "Hola, Ana" in str(reminder.body)
    # The date written as Spanish writes it ("31 de diciembre de 2026").
    spanish_date = resume_date(Pause.objects.get(), "es")
    assert " de " in spanish_date and spanish_date in str(reminder.body)


def test_the_admin_lists_pauses_and_choices_with_people_masked(client: Client, sam: Subscriber) -> None:
    choose(client, sam, frequency="weekly")
    choose(client, sam, days="30")
    staff = Client()
    staff.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    for changelist, shown in (
        ("/admin/campaign/pause/", "30"),
        ("/admin/campaign/optdownrecord/", "Weekly digest"),
    ):
        html = html_of(staff.get(changelist))
        assert "s•••@e•••.com" in html and shown in html
        assert "sam@example.com" not in html
    html = html_of(staff.get("/admin/campaign/subscriber/", {"email_frequency": "weekly"}))
    assert "s•••@e•••.com" in html


def test_the_data_download_holds_the_choices_and_erasure_removes_them(
    client: Client, sam: Subscriber
) -> None:
    choose(client, sam, frequency="monthly")
    choose(client, sam, days="60")
    data = export_data(Subscriber.objects.get())["site"]["fewer_emails"]
    assert data["email_frequency"] == "monthly"
    assert [pause["days"] for pause in data["pauses"]] == [60]
    assert [choice["kind"] for choice in data["choices"]] == ["frequency", "pause"]
    assert data["choices"][1]["wording"] == "Take a break from all our emails Pause for 60 days"

    request_erasure(Subscriber.objects.get())
    assert not Pause.objects.exists() and not OptDownRecord.objects.exists()
    assert Subscriber.objects.get().email_frequency == ""
    assert sweep_pauses(timezone.now() + timedelta(days=61)) == (0, 0)


def test_a_paused_person_is_not_told_they_unsubscribed(client: Client, sam: Subscriber) -> None:
    choose(client, sam, days="30")
    open_preferences(client, sam)
    for _ in range(2):  # with the blacklist on its way to Campaign, then delivered
        html = html_of(client.get("/preferences/edit/"))
        assert "Your emails are paused until" in html
        assert "You have unsubscribed from all our emails." not in html
        run_worker()


def test_a_confirmed_new_sign_up_lifts_a_pause(client: Client, sam: Subscriber, newsletter: Topic) -> None:
    choose(client, sam, days="30")
    sign_up(client, "sam@example.com", newsletter)
    confirm_latest(client)
    assert Pause.objects.get().ended_by == "reconfirmed"
    assert not is_suppressed(sam)
    assert profile().black_list_email is False


def test_the_evidence_exports_as_csv_with_formulas_made_inert(sam: Subscriber) -> None:
    spreadsheet_trap = Client(HTTP_USER_AGENT="=HYPERLINK(1)")
    spreadsheet_trap.post(unsubscribe_path(sam) + "fewer/", {"frequency": "weekly"})
    staff = Client()
    staff.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    record = OptDownRecord.objects.get()
    response = staff.post(
        "/admin/campaign/optdownrecord/", {"action": "export_selected", "_selected_action": [record.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    header, row = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert header.startswith("recorded_at,kind,subscriber_id,email,choice")
    assert (
        "frequency" in row
        and "sam@example.com" in row
        and "How often would you like our emails? Weekly digest" in row
    )
    assert "'=HYPERLINK(1)" in row
