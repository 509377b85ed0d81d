"""The outbox and its worker: order per person, retries with backoff,
parked rejections, the sweeper, the real task worker, and /healthz."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from signup_site.campaign import outbox
from signup_site.campaign.errors import CampaignRejected, CampaignUnavailable
from signup_site.campaign.models import (
    Change,
    LocalProfile,
    LocalSubscription,
    OptOut,
    PendingSignup,
    Subscriber,
    Topic,
)
from signup_site.campaign.optouts import opt_out, undo_opt_out
from signup_site.web.links import site_links
from tests.backends import ScriptedBackend
from tests.helpers import confirm_latest, make_due, run_worker, sign_up, take_in_requests


@pytest.fixture
def scripted(settings: Settings) -> type[ScriptedBackend]:
    settings.CAMPAIGN_BACKEND = "tests.backends.ScriptedBackend"
    ScriptedBackend.failures = {}
    ScriptedBackend.calls.clear()
    return ScriptedBackend


def subscriptions(email: str) -> set[str]:
    return set(LocalSubscription.objects.filter(profile__email=email).values_list("service__name", flat=True))


@pytest.mark.django_db
def test_a_failing_change_holds_back_that_person_only(
    client: Client, scripted: type[ScriptedBackend], newsletter: Topic, offers: Topic
) -> None:
    scripted.failures[("subscribe", "NEWSLETTER")] = [CampaignUnavailable("down")]
    sign_up(client, "held@example.com", newsletter, offers)
    sign_up(client, "free@example.com", newsletter)
    run_worker()
    for signup in PendingSignup.objects.all():
        client.post(site_links.confirm_url(signup).removeprefix("http://testserver"))
    run_worker()

    # held@: the NEWSLETTER subscribe failed; SPECIAL_OFFERS and the email wait behind it.
    assert subscriptions("held@example.com") == set()
    held = Change.objects.filter(subscriber__email="held@example.com", status=Change.Status.PENDING)
    assert held.count() == 3
    failed = held.order_by("id").first()
    assert failed is not None
    assert failed.attempts == 1 and "down" in failed.last_error
    assert failed.next_attempt_at > timezone.now()
    # free@ was not held up by someone else's failure.
    assert subscriptions("free@example.com") == {"NEWSLETTER"}

    make_due()
    run_worker()
    assert subscriptions("held@example.com") == {"NEWSLETTER", "SPECIAL_OFFERS"}
    assert not Change.objects.exclude(status=Change.Status.DONE).exists()


@pytest.mark.django_db
def test_subscribe_then_unsubscribe_ends_unsubscribed_despite_failures(
    client: Client, scripted: type[ScriptedBackend], newsletter: Topic
) -> None:
    sign_up(client, "order@example.com", newsletter)
    confirm_latest(client)
    subscriber = Subscriber.objects.get()
    scripted.failures[("subscribe", "NEWSLETTER")] = [
        CampaignUnavailable("blip"),
        CampaignUnavailable("blip"),
    ]
    outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="NEWSLETTER")
    opt_out(subscriber, newsletter, OptOut.Via.PAGE)
    for _ in range(4):
        run_worker()
        make_due()
    assert subscriptions("order@example.com") == set()
    assert [c for c in scripted.calls if c[0] in {"subscribe", "unsubscribe"}][-1] == (
        "unsubscribe",
        "NEWSLETTER",
    )


def test_backoff_grows_is_capped_and_honours_retry_after(settings: Settings) -> None:
    settings.CAMPAIGN_RETRY_BASE_SECONDS = 10
    settings.CAMPAIGN_RETRY_MAX_SECONDS = 300
    delays = [outbox.backoff(n) for n in range(1, 12)]
    assert 5 <= delays[0] <= 10
    assert 40 <= delays[3] <= 80
    assert all(150 <= d <= 300 for d in delays[6:])
    assert outbox.backoff(1, retry_after=120) == 120
    assert len({round(outbox.backoff(5), 3) for _ in range(20)}) > 1  # jitter


@pytest.mark.django_db
def test_rejection_is_parked_not_retried_and_can_be_retried_from_admin(
    client: Client, scripted: type[ScriptedBackend], newsletter: Topic
) -> None:
    sign_up(client, "bad@example.com", newsletter)
    confirm_latest(client)
    subscriber = Subscriber.objects.get()
    scripted.failures[("update_profile", "*")] = [CampaignRejected("The value 'x' is not valid")]
    change = outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, first_name="X")
    run_worker()
    change.refresh_from_db()
    assert change.status == Change.Status.PARKED
    assert "not valid" in change.last_error
    make_due()
    run_worker()
    change.refresh_from_db()
    assert change.attempts == 1  # parked changes are left alone

    admin = Client()
    admin.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    response = admin.post(
        reverse("admin:campaign_change_changelist"), {"action": "retry", "_selected_action": [change.pk]}
    )
    assert response.status_code == 302
    run_worker()
    change.refresh_from_db()
    assert change.status == Change.Status.DONE
    assert LocalProfile.objects.get().first_name == "X"


@pytest.mark.django_db
def test_unexpected_error_keeps_the_change_for_later(
    client: Client, scripted: type[ScriptedBackend], newsletter: Topic
) -> None:
    sign_up(client, "bug@example.com", newsletter)
    confirm_latest(client)
    scripted.failures[("send_message", "*")] = [KeyError("bug")]
    change = outbox.record(
        Subscriber.objects.get(),
        Change.Kind.SEND_MESSAGE,
        message="welcome",
        email="bug@example.com",
        context={},
    )
    run_worker()
    change.refresh_from_db()
    assert change.status == Change.Status.PENDING
    assert "Unexpected KeyError" in change.last_error


@pytest.mark.django_db
def test_sweep_releases_claims_of_dead_workers(client: Client, newsletter: Topic) -> None:
    sign_up(client, "dead@example.com", newsletter)
    take_in_requests()
    change = Change.objects.get()
    # A worker claimed it and died.
    Change.objects.filter(pk=change.pk).update(
        status=Change.Status.IN_PROGRESS, claimed_at=timezone.now() - timedelta(minutes=30), attempts=1
    )
    assert outbox.sweep() == 1
    assert Change.objects.get().status == Change.Status.PENDING
    run_worker()
    assert Change.objects.get().status == Change.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_delivers_what_the_web_request_queued(client: Client, newsletter: Topic) -> None:
    from django_tasks_db.models import DBTaskResult

    client.post("/signup/", {"email": "worker@example.com", "language": "en", "topics": [newsletter.pk]})
    assert DBTaskResult.objects.count() == 1  # enqueued when the request's transaction committed
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert Change.objects.get().status == Change.Status.DONE


@pytest.mark.django_db
def test_healthz_reports_backlog_and_fails_on_late_opt_outs(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    settings.HEALTH_OPTOUT_MAX_AGE_HOURS = 24
    sign_up(client, "health@example.com", newsletter)
    confirm_latest(client)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["backlog"] == 0

    subscriber = Subscriber.objects.get()
    optout = opt_out(subscriber, None, OptOut.Via.PAGE)
    body = client.get("/healthz").json()
    assert body["backlog"] == 1
    assert body["oldest_undelivered_optout_seconds"] is not None

    OptOut.objects.filter(pk=optout.pk).update(created_at=timezone.now() - timedelta(hours=25))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["optouts_late"] is True

    run_worker()  # delivered: healthy again, however old the opt-out is
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_wakes_the_worker_once_however_many_changes_it_records(
    client: Client, newsletter: Topic, offers: Topic
) -> None:
    from django_tasks_db.models import DBTaskResult

    # Transactional: each request commits, as in production, so its
    # on-commit wake-ups really run and enqueue tasks.
    sign_up(client, "once@example.com", newsletter, offers)
    run_worker()
    confirm = site_links.confirm_url(PendingSignup.objects.get()).removeprefix("http://testserver")
    DBTaskResult.objects.all().delete()
    before = Change.objects.count()
    assert client.post(confirm).status_code == 303  # to the result page (PRG)
    # Profile, two subscriptions, the offer's email: one transaction, one task.
    assert Change.objects.count() - before >= 4
    assert DBTaskResult.objects.filter(task_path__endswith=".deliver_changes").count() == 1
    # ... and that one task drains them all.
    assert outbox.deliver_all() == Change.objects.count() - before
    assert not Change.objects.filter(status__in=Change.UNFINISHED).exists()


@pytest.mark.django_db
def test_a_rolled_back_savepoint_does_not_take_the_wake_up_with_it(
    newsletter: Topic, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django.db import transaction

    subscriber = Subscriber.objects.create(email="savepoint@example.com", person_key="savepoint@example.com")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="NEWSLETTER")
                raise RuntimeError("roll this savepoint back")
        except RuntimeError:
            pass
        outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="NEWSLETTER")
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_an_opt_out_before_confirming_cannot_wedge_healthz(
    client: Client, newsletter: Topic, settings: Settings
) -> None:
    """The confirmation email carries an unsubscribe link: someone who uses it
    before confirming has no Campaign profile. That must not park the change
    and fail /healthz for good 24 hours later."""
    settings.HEALTH_OPTOUT_MAX_AGE_HOURS = 24
    sign_up(client, "never@example.com", newsletter)
    run_worker()
    subscriber = Subscriber.objects.get()
    optout = opt_out(subscriber, None, OptOut.Via.ONE_CLICK)
    opt_out(subscriber, newsletter, OptOut.Via.PAGE)
    run_worker()
    assert not Change.objects.filter(status=Change.Status.PARKED).exists()
    assert not Change.objects.filter(status__in=Change.UNFINISHED).exists()
    OptOut.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert client.get("/healthz").status_code == 200
    # The site still honours it, and a later confirmation creates the profile as usual.
    assert OptOut.objects.get(pk=optout.pk).active
    confirm = site_links.confirm_url(PendingSignup.objects.get()).removeprefix("http://testserver")
    assert client.post(confirm).status_code == 303  # to the result page (PRG)
    run_worker()
    assert LocalProfile.objects.filter(email="never@example.com", black_list_email=False).exists()


@pytest.mark.django_db
def test_an_ended_opt_out_is_not_late_whatever_became_of_its_change(
    client: Client, newsletter: Topic, settings: Settings, scripted: type[ScriptedBackend]
) -> None:
    settings.HEALTH_OPTOUT_MAX_AGE_HOURS = 24
    sign_up(client, "ended@example.com", newsletter)
    confirm_latest(client)
    subscriber = Subscriber.objects.get()
    scripted.failures[("update_profile", "*")] = [CampaignRejected("refused")]
    optout = opt_out(subscriber, None, OptOut.Via.PAGE)
    run_worker()
    OptOut.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert client.get("/healthz").status_code == 503  # parked and active: late, an operator must look
    assert undo_opt_out(optout)
    assert client.get("/healthz").json()["optouts_late"] is False


@pytest.mark.django_db
def test_refused_credentials_hold_deliveries_and_say_so(
    client: Client, newsletter: Topic, scripted: type[ScriptedBackend], settings: Settings
) -> None:
    """A revoked credential is not retried at full speed for ever: deliveries
    to Campaign wait for an operator, the site's own emails go on, and the
    admin and /healthz say what is wrong."""
    from signup_site.campaign.errors import CampaignAuthError

    settings.CAMPAIGN_AUTH_RETRY_SECONDS = 900
    sign_up(client, "held@example.com", newsletter)
    confirm_latest(client)  # delivered, while the credentials still worked
    scripted.failures[("subscribe", "*")] = [CampaignAuthError("IMS refused the credentials: HTTP 401")]
    subscriber = Subscriber.objects.get()
    outbox.record(subscriber, Change.Kind.SUBSCRIBE, service="SPECIAL_OFFERS")
    other = Subscriber.objects.create(email="other@example.com", person_key="other@example.com")
    queued = outbox.record(other, Change.Kind.UNSUBSCRIBE, service="NEWSLETTER")
    third = Subscriber.objects.create(email="third@example.com", person_key="third@example.com")
    email = outbox.record(
        third,
        Change.Kind.SITE_EMAIL,
        template="preferences-link",
        email=third.email,
        language="en",
        context={},
    )
    outbox.deliver_one()  # the subscribe: refused

    failed = Change.objects.get(kind=Change.Kind.SUBSCRIBE, payload__service="SPECIAL_OFFERS")
    assert failed.status == Change.Status.PENDING and failed.failure == Change.Failure.AUTH
    assert failed.next_attempt_at >= timezone.now() + timedelta(seconds=890)
    queued.refresh_from_db()
    assert queued.next_attempt_at >= failed.next_attempt_at  # held too: same credentials
    run_worker()
    email.refresh_from_db()
    assert email.status == Change.Status.DONE  # the site's own mail does not wait on Campaign
    assert Change.objects.get(pk=queued.pk).status == Change.Status.PENDING

    health = client.get("/healthz")
    assert health.status_code == 200  # the pages work: keep the site in the load balancer
    assert (health.json()["status"], health.json()["campaign"]) == ("degraded", "misconfigured")
    User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")
    # django-axes checks every login against its request: the test client's needs one (axes' docs).
    assert client.login(request=HttpRequest(), username="ops", password="a-long-password-1")
    page = client.get(reverse("admin:campaign_change_changelist"))
    assert "deliveries to Campaign are held" in page.content.decode()

    make_due()
    run_worker()  # fixed: delivered
    assert not Change.objects.filter(status__in=Change.UNFINISHED).exists()
    assert client.get("/healthz").json()["campaign"] == "ok"


@pytest.mark.django_db
def test_a_429_holds_every_delivery_to_campaign_until_its_retry_after(
    client: Client, newsletter: Topic, scripted: type[ScriptedBackend]
) -> None:
    """Campaign refusing the pace refuses it for every change, not just the
    one it answered: the others wait out the same Retry-After rather than be
    tried one after another and refused in turn (a burst's worker spent more
    attempts on 429s than on deliveries). The site's own emails go on."""
    from signup_site.campaign.errors import CampaignThrottled

    sign_up(client, "first@example.com", newsletter)
    confirm_latest(client)  # delivered before Campaign began to refuse the pace
    scripted.failures[("subscribe", "*")] = [CampaignThrottled("slow down", retry_after=30)]
    outbox.record(Subscriber.objects.get(), Change.Kind.SUBSCRIBE, service="SPECIAL_OFFERS")
    other = Subscriber.objects.create(
        email="other@example.com", person_key="other@example.com", status=Subscriber.Status.CONFIRMED
    )
    queued = outbox.record(other, Change.Kind.UNSUBSCRIBE, service="NEWSLETTER")
    third = Subscriber.objects.create(email="third@example.com", person_key="third@example.com")
    email = outbox.record(
        third,
        Change.Kind.SITE_EMAIL,
        template="preferences-link",
        email=third.email,
        language="en",
        context={},
    )
    before = timezone.now()
    outbox.deliver_one()  # the subscribe: refused, 429

    queued.refresh_from_db()
    assert queued.status == Change.Status.PENDING and queued.attempts == 0  # never tried
    assert queued.next_attempt_at >= before + timedelta(seconds=30)
    assert outbox.deliver_one()  # the site's email: not held
    email.refresh_from_db()
    assert email.status == Change.Status.DONE
    assert not outbox.deliver_one()  # nothing else is due
