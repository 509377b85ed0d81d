"""Opt-out: GET describes, POST acts at once, RFC 8058 one-click, undo,
reasons, suppression honoured by the site, and re-sign-up after opting out."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from signup_site.campaign.models import (
    LocalMessage,
    LocalProfile,
    LocalSubscription,
    OptOut,
    Subscriber,
    Topic,
)
from signup_site.campaign.optouts import UnsubscribeTarget, find_unsubscribe_target
from signup_site.web.links import Purpose, make_token
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    sign_up(client, "sam@example.com", newsletter, offers, first_name="Sam")
    confirm_latest(client)
    return Subscriber.objects.get(email="sam@example.com")


def subscriptions() -> set[str]:
    return set(LocalSubscription.objects.values_list("service__name", flat=True))


def unsubscribe_path(subscriber: Subscriber, topic: Topic | None = None) -> str:
    payload = {"s": subscriber.public_id.hex}
    if topic:
        payload["t"] = topic.slug
    return f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, **payload)}/"


def test_get_and_head_change_nothing(client: Client, sam: Subscriber) -> None:
    path = link_in(mail.outbox[-1], "/unsubscribe/")
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200
        assert "Unsubscribe" in html_of(response)
        assert client.head(path).status_code == 200
    run_worker()
    assert not OptOut.objects.exists()
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}
    assert LocalProfile.objects.get().black_list_email is False


def test_one_click_post_without_cookies_or_csrf(sam: Subscriber) -> None:
    path = link_in(mail.outbox[-1], "/unsubscribe/")
    mail_client = Client(enforce_csrf_checks=True)  # as a mail provider's server: no cookie, no token
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not response.has_header("Location")
    optout = OptOut.objects.get()
    assert optout.via == OptOut.Via.ONE_CLICK
    # The special-offer email's header leaves that list, the one the mail came from.
    assert optout.topic is not None and optout.topic.slug == "special-offers"
    # Recorded locally in the same request, before Campaign hears of it.
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}
    run_worker()
    assert subscriptions() == {"NEWSLETTER"}


def test_one_click_from_an_all_email_link_stops_all_email(sam: Subscriber) -> None:
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path(sam), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    run_worker()
    assert LocalProfile.objects.get().black_list_email is True


def test_one_click_repeated_records_one_opt_out(sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    mail_client = Client(enforce_csrf_checks=True)
    for _ in range(3):
        response = mail_client.post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    assert OptOut.objects.count() == 1


@pytest.mark.parametrize(
    ("with_topic", "body"),
    [
        (False, {}),  # a scanner's or a prefetcher's empty POST
        (False, {"scope": ""}),
        (False, {"scope": "everything"}),
        (False, {"scope": "topic"}),  # no topic on an all-email link
        (True, {}),
        (True, {"List-Unsubscribe": "One-Click please"}),
    ],
)
def test_a_post_without_an_explicit_choice_changes_nothing(
    client: Client, sam: Subscriber, offers: Topic, with_topic: bool, body: dict[str, str]
) -> None:
    path = unsubscribe_path(sam, offers if with_topic else None)
    response = client.post(path, body)
    assert response.status_code == 200
    page = html_of(response)
    assert "Nothing was changed" in page
    assert '<form method="post"' in page  # the page again, to choose
    assert not OptOut.objects.exists()
    run_worker()
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}
    assert LocalProfile.objects.get().black_list_email is False


def test_the_all_email_page_sends_its_choice(client: Client, sam: Subscriber) -> None:
    page = html_of(client.get(unsubscribe_path(sam)))
    assert '<button type="submit" name="scope" value="all"' in page
    assert "Nothing was changed" not in page


def test_topic_link_leaves_only_that_topic(client: Client, sam: Subscriber, offers: Topic) -> None:
    path = link_in(mail.outbox[-1], "/unsubscribe/")  # the special-offer email's link names its topic
    page = html_of(client.get(path))
    assert "Only “Email Special Offers” emails" in page
    response = client.post(path, {"scope": "topic"}, follow=True)
    assert response.redirect_chain[0][1] == 303
    assert "You will no longer receive “Email Special Offers” emails." in html_of(response)
    run_worker()
    assert subscriptions() == {"NEWSLETTER"}
    assert LocalProfile.objects.get().black_list_email is False


def test_all_email_opt_out_sets_blacklist_and_undo_restores_exactly(client: Client, sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    response = client.post(path, {"scope": "all"}, follow=True)
    assert response.status_code == 200
    assert "You are unsubscribed" in html_of(response)
    run_worker()
    assert LocalProfile.objects.get().black_list_email is True
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}

    optout = OptOut.objects.get()
    response = client.post(f"{path}undo/", {"optout": str(optout.public_id)}, follow=True)
    assert "Welcome back: you are subscribed again" in html_of(response)
    run_worker()
    assert LocalProfile.objects.get().black_list_email is False
    assert OptOut.objects.get().ended_by == OptOut.Ended.UNDONE


@pytest.fixture
def retired_list_link(sam: Subscriber) -> str:
    """An unsubscribe link for a topic deleted since its email went out."""
    retired = Topic.objects.create(slug="spring-sale", label="Spring Sale", service_name="SPRING_SALE")
    path = unsubscribe_path(sam, retired)
    retired.delete()
    return path


def test_the_finder_tells_a_missing_topic_from_no_topic(sam: Subscriber, offers: Topic) -> None:
    person = sam.public_id.hex
    assert find_unsubscribe_target(person) == UnsubscribeTarget(sam, None, topic_gone=False)
    assert find_unsubscribe_target(person, offers.slug) == UnsubscribeTarget(sam, offers, topic_gone=False)
    assert find_unsubscribe_target(person, "spring-sale") == UnsubscribeTarget(sam, None, topic_gone=True)
    assert find_unsubscribe_target("0" * 32, offers.slug) is None


def test_a_link_to_a_list_that_no_longer_exists_says_so_and_offers_all_email(
    client: Client, sam: Subscriber, retired_list_link: str
) -> None:
    page = html_of(client.get(retired_list_link))
    assert "The list this link was for no longer exists" in page
    assert "Press the button and we will stop sending you all" not in page
    assert '<button type="submit" name="scope" value="all"' in page
    assert 'value="topic"' not in page
    # Neither an empty POST nor the missing topic opts out of anything.
    for body in ({}, {"scope": "topic"}):
        response = client.post(retired_list_link, body)
        assert "Nothing was changed" in html_of(response)
    assert not OptOut.objects.exists()

    response = client.post(retired_list_link, {"scope": "all"}, follow=True)  # the explicit button
    assert "You will no longer receive our marketing emails." in html_of(response)
    run_worker()
    assert LocalProfile.objects.get().black_list_email is True


def test_one_click_on_a_link_to_a_list_that_no_longer_exists_changes_nothing(
    sam: Subscriber, retired_list_link: str
) -> None:
    response = Client(enforce_csrf_checks=True).post(retired_list_link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200  # RFC 8058: the sender answers 200, no redirect
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no longer exists" in response.content.decode()
    assert not OptOut.objects.exists()
    run_worker()
    assert LocalProfile.objects.get().black_list_email is False
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}


def test_undo_of_a_topic_opt_out_resubscribes_that_topic(
    client: Client, sam: Subscriber, offers: Topic
) -> None:
    path = unsubscribe_path(sam, offers)
    client.post(path, {"scope": "topic"})
    run_worker()
    assert subscriptions() == {"NEWSLETTER"}
    client.post(f"{path}undo/", {"optout": str(OptOut.objects.get().public_id)})
    run_worker()
    assert subscriptions() == {"NEWSLETTER", "SPECIAL_OFFERS"}


def test_undo_refuses_someone_elses_opt_out(client: Client, sam: Subscriber, newsletter: Topic) -> None:
    sign_up(client, "other@example.com", newsletter)
    confirm_latest(client)
    other = Subscriber.objects.get(email="other@example.com")
    client.post(unsubscribe_path(other), {"scope": "all"})
    theirs = OptOut.objects.get()
    response = client.post(f"{unsubscribe_path(sam)}undo/", {"optout": str(theirs.public_id)})
    assert response.status_code == 400
    assert OptOut.objects.get().ended_at is None


def test_reason_is_stored_and_shown_in_admin(client: Client, sam: Subscriber) -> None:
    path = unsubscribe_path(sam)
    client.post(path, {"scope": "all"})
    optout = OptOut.objects.get()
    response = client.post(
        f"{path}reason/",
        {"optout": str(optout.public_id), "reason": "too_many", "reason_text": "Weekly is plenty"},
        follow=True,
    )
    assert "Thank you for telling us." in html_of(response)
    optout.refresh_from_db()
    assert (optout.reason, optout.reason_text) == ("too_many", "Weekly is plenty")

    admin = Client()
    admin.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    page = html_of(admin.get(reverse("admin:campaign_optout_changelist")))
    assert "I get too many emails" in page
    assert "Weekly is plenty" in page
    assert "Opt-outs per reason" in page
    assert "Suppression list: 1 person opted out of all email." in page


def test_suppression_is_honoured_by_the_site_at_once(
    client: Client, sam: Subscriber, newsletter: Topic
) -> None:
    client.post(unsubscribe_path(sam), {"scope": "all"})
    # Campaign has not heard yet, and a topic message would go out: the site holds it.
    newsletter.opt_in_message = "welcome"
    newsletter.save()
    from signup_site.campaign import outbox
    from signup_site.campaign.models import Change

    outbox.record(
        sam, Change.Kind.SEND_MESSAGE, message="welcome", email=sam.email, language="en", context={}
    )
    sent_before = LocalMessage.objects.count()
    run_worker()
    assert LocalMessage.objects.count() == sent_before


def test_resignup_after_opting_out_needs_confirmation_even_without_double_opt_in(
    client: Client, sam: Subscriber, newsletter: Topic, settings: Settings
) -> None:
    client.post(unsubscribe_path(sam), {"scope": "all"})
    run_worker()
    settings.SIGNUP_DOUBLE_OPT_IN = False
    mail.outbox.clear()
    sign_up(client, "sam@example.com", newsletter)
    run_worker()
    # Not lifted: a confirmation email went out instead.
    assert LocalProfile.objects.get().black_list_email is True
    assert OptOut.objects.get().ended_at is None
    assert "confirm" in mail.outbox[-1].subject.lower()

    client.post(link_in(mail.outbox[-1], "/confirm/"))
    run_worker()
    assert LocalProfile.objects.get().black_list_email is False
    assert OptOut.objects.get().ended_by == OptOut.Ended.RECONFIRMED


@pytest.mark.parametrize("purpose", [Purpose.PREFERENCES, Purpose.CONFIRM])
def test_wrong_purpose_token_on_unsubscribe_url(client: Client, sam: Subscriber, purpose: Purpose) -> None:
    token = make_token(purpose, s=sam.public_id.hex, p=sam.public_id.hex)
    assert client.get(f"/unsubscribe/{token}/").status_code == 400
    assert client.post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 400
    assert not OptOut.objects.exists()


def test_year_old_unsubscribe_link_still_works(client: Client, sam: Subscriber) -> None:
    import time
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=time.time() - 370 * 24 * 3600):
        path = unsubscribe_path(sam)
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert OptOut.objects.count() == 1
