"""The admin speaks people: masked addresses, search by canonical address,
each person's page with their evidence, changes, opt-outs and coupons, and
consent evidence as CSV that a spreadsheet cannot run."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from signup_site.campaign.addresses import mask_address
from signup_site.campaign.evidence import escape_cell
from signup_site.campaign.models import ConsentRecord, Coupon, OptOut, Subscriber, Topic
from tests.helpers import confirm_latest, html_of, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/campaign/subscriber/"


def staff(*permissions: str) -> Client:
    user = User.objects.create_user("marketer", "m@example.com", "pw", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def jane(client: Client, newsletter: Topic, offers: Topic) -> Subscriber:
    """A confirmed person with a coupon, who then left the newsletter."""
    sign_up(client, "Jane.Doe@Example.com", newsletter, offers, first_name="Jane")
    confirm_latest(client)
    unsubscribe = link_in(mail.outbox[-1], "/unsubscribe/")
    assert client.post(unsubscribe, {"scope": "topic"}).status_code == 303
    run_worker()
    return Subscriber.objects.get(email="jane.doe@example.com")


@pytest.fixture
def admin_client_all() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_mask_keeps_first_letters_and_the_top_level_domain() -> None:
    assert mask_address("jane.doe@example.com") == "j•••@e•••.com"
    assert mask_address("x@mail.example.co.uk") == "x•••@m•••.uk"


def test_the_list_shows_masked_addresses_only(jane: Subscriber, admin_client_all: Client) -> None:
    html = html_of(admin_client_all.get(CHANGELIST))
    assert "j•••@e•••.com" in html
    assert "jane.doe@example.com" not in html
    assert f"subscriber {jane.pk}<" not in html


def test_other_lists_name_people_masked_too(jane: Subscriber, admin_client_all: Client) -> None:
    html = html_of(admin_client_all.get("/admin/campaign/optout/"))
    assert "j•••@e•••.com" in html
    assert "jane.doe@example.com" not in html


@pytest.mark.parametrize(
    "term", ["jane.doe@example.com", "  JANE.DOE@EXAMPLE.COM ", "jane.doe@", "Jane.D", "jane.doe@example.c"]
)
def test_search_by_canonical_address_exact_or_prefix(
    jane: Subscriber, client: Client, newsletter: Topic, admin_client_all: Client, term: str
) -> None:
    sign_up(client, "john@example.org", newsletter)
    response = admin_client_all.get(CHANGELIST, {"q": term})
    assert [s.pk for s in response.context["cl"].result_list] == [jane.pk]


def test_search_finds_an_international_domain_by_its_unicode_spelling(
    client: Client, newsletter: Topic, admin_client_all: Client
) -> None:
    sign_up(client, "ana@café.example", newsletter)
    response = admin_client_all.get(CHANGELIST, {"q": "Ana@CAFÉ.example"})
    assert [s.email for s in response.context["cl"].result_list] == ["ana@xn--caf-dma.example"]


def test_list_filters_by_language_and_state(jane: Subscriber, client: Client, newsletter: Topic) -> None:
    sign_up(client, "pedro@example.org", newsletter, language="es")
    viewer = staff("view_subscriber")
    spanish = viewer.get(CHANGELIST, {"language": "es"}).context["cl"].result_list
    assert [s.email for s in spanish] == ["pedro@example.org"]
    confirmed = viewer.get(CHANGELIST, {"status__exact": "confirmed"}).context["cl"].result_list
    assert [s.pk for s in confirmed] == [jane.pk]


def test_person_page_shows_evidence_changes_optouts_and_coupons(
    jane: Subscriber, admin_client_all: Client
) -> None:
    html = html_of(admin_client_all.get(f"{CHANGELIST}{jane.pk}/change/"))
    consent = ConsentRecord.objects.filter(subscriber=jane).first()
    assert consent is not None
    assert consent.wording_version in html
    assert "Confirmation" in html and "Sign-up request" in html
    assert "Find or create profile" in html and "Delivered" in html  # a change and its state
    optout = OptOut.objects.get(subscriber=jane)
    assert optout.topic is not None and optout.topic.label in html
    coupon = Coupon.objects.get(subscriber=jane)
    assert coupon.code in html
    assert "jane.doe@example.com" in html  # a superuser may see the address


def test_full_address_on_the_person_page_needs_the_permission(jane: Subscriber) -> None:
    viewer = staff("view_subscriber", "view_consentrecord", "view_change", "view_optout", "view_coupon")
    html = html_of(viewer.get(f"{CHANGELIST}{jane.pk}/change/"))
    assert "j•••@e•••.com" in html
    assert "jane.doe@example.com" not in html
    assert "Download as CSV" not in html
    User.objects.filter(username="marketer").delete()
    trusted = staff("view_subscriber", "view_subscriber_email", "view_consentrecord")
    assert "jane.doe@example.com" in html_of(trusted.get(f"{CHANGELIST}{jane.pk}/change/"))


def rows_of(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_one_persons_evidence_exports_as_csv(jane: Subscriber, client: Client, newsletter: Topic) -> None:
    sign_up(client, "other@example.org", newsletter)
    exporter = staff("view_consentrecord", "view_subscriber_email")
    response = exporter.get(
        reverse("admin:campaign_consentrecord_export"), {"subscriber": str(jane.public_id)}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:4] == ["recorded_at", "kind", "subscriber_id", "email"]
    assert [row[1] for row in rows] == ["request", "confirmation"]
    assert {row[3] for row in rows} == {"jane.doe@example.com"}
    assert rows[0][4] == "NEWSLETTER SPECIAL_OFFERS"


def test_a_date_range_exports_the_records_of_those_days(client: Client, newsletter: Topic) -> None:
    sign_up(client, "old@example.org", newsletter)
    ConsentRecord.objects.update(created_at=timezone.now() - timedelta(days=10))
    sign_up(client, "new@example.org", newsletter)
    exporter = staff("view_consentrecord", "view_subscriber_email")
    today = timezone.localdate()
    url = reverse("admin:campaign_consentrecord_export")
    form = exporter.get(url)
    assert form.status_code == 200 and 'type="date"' in html_of(form)
    recent = rows_of(exporter.get(url, {"first": str(today - timedelta(days=1)), "last": str(today)}))
    assert [row[3] for row in recent[1:]] == ["new@example.org"]
    older = rows_of(
        exporter.get(url, {"first": str(today - timedelta(days=11)), "last": str(today - timedelta(days=9))})
    )
    assert [row[3] for row in older[1:]] == ["old@example.org"]


def test_a_backwards_or_malformed_range_is_explained(client: Client) -> None:
    exporter = staff("view_consentrecord", "view_subscriber_email")
    url = reverse("admin:campaign_consentrecord_export")
    backwards = exporter.get(url, {"first": "2026-05-02", "last": "2026-05-01"})
    assert backwards.status_code == 200
    assert "The end comes before the start." in html_of(backwards)
    garbage = exporter.get(url, {"first": "yesterday", "last": "=1+1"})
    assert garbage.status_code == 200 and "Enter a valid date." in html_of(garbage)
    assert exporter.get(url, {"subscriber": "not-a-uuid"}).status_code == 404


def test_exporting_needs_the_permission_to_see_addresses(jane: Subscriber) -> None:
    viewer = staff("view_consentrecord")
    url = reverse("admin:campaign_consentrecord_export")
    assert viewer.get(url, {"subscriber": str(jane.public_id)}).status_code == 403


def test_export_action_on_selected_people(jane: Subscriber, client: Client, newsletter: Topic) -> None:
    sign_up(client, "other@example.org", newsletter)
    exporter = staff("view_subscriber", "view_consentrecord", "view_subscriber_email")
    response = exporter.post(CHANGELIST, {"action": "export_consent", "_selected_action": [jane.pk]})
    assert {row[3] for row in rows_of(response)[1:]} == {"jane.doe@example.com"}


def test_cells_that_would_be_formulas_are_made_text(client: Client, newsletter: Topic) -> None:
    attacks = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1"]
    for n, agent in enumerate(attacks):
        response = client.post(
            "/signup/",
            {"email": f"p{n}@example.org", "language": "en", "topics": [newsletter.pk]},
            HTTP_USER_AGENT=agent,
        )
        assert response.status_code == 302
    run_worker()  # the worker takes the sign-ups in
    exporter = staff("view_consentrecord", "view_subscriber_email")
    today = timezone.localdate()
    rows = rows_of(
        exporter.get(
            reverse("admin:campaign_consentrecord_export"), {"first": str(today), "last": str(today)}
        )
    )
    agents = sorted(row[9] for row in rows[1:])
    assert agents == sorted(f"'{agent}" for agent in attacks)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for row in rows[1:] for cell in row)


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_escape_cell_neutralises_every_formula_start(cell: str) -> None:
    assert escape_cell(cell) == f"'{cell}"


def test_escape_cell_leaves_ordinary_text() -> None:
    assert escape_cell("Mozilla/5.0") == "Mozilla/5.0"
    assert escape_cell("2001:db8::1") == "2001:db8::1"
    assert escape_cell(None) == ""
