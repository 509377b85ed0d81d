"""Offers that convert: the special-offer email and the confirmed page say
what the coupon is worth, until when, and where to use it, in the person's
language; the admin and /healthz warn before an imported pool runs out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import formats, timezone, translation
from pytest_django import Settings

from signup_site.campaign import coupons
from signup_site.campaign.models import Topic
from tests.brand_support import admin_client
from tests.helpers import html_of, html_part, link_in, run_worker, sign_up

pytestmark = pytest.mark.django_db

SHOP = "https://shop.acme.example/?utm_source=welcome"


@pytest.fixture
def offer(offers: Topic) -> Topic:
    offers.offer_value = "20% off your first order"
    offers.offer_shop_url = SHOP
    offers.coupon_valid_days = 30
    offers.save()
    offers.translations.filter(language="es").update(offer_value="20 % de descuento en tu primer pedido")
    return offers


def expiry(language: str) -> str:
    with translation.override(language):
        return formats.date_format(timezone.localdate() + timedelta(days=30), "DATE_FORMAT")


@pytest.mark.parametrize(
    "language, value, use_by, shop",
    [
        ("en", "20% off your first order", "Use it by {}.", "Shop now"),
        ("es", "20 % de descuento en tu primer pedido", "Úsalo hasta el {}.", "Ir a la tienda"),
    ],
)
def test_the_offer_email_gives_the_value_expiry_and_shop_link(
    client: Client, offer: Topic, language: str, value: str, use_by: str, shop: str
) -> None:
    sign_up(client, "jo@example.com", offer, language=language)
    run_worker()
    client.post(link_in(mail.outbox[-1], "/confirm/"))
    run_worker()
    message = mail.outbox[-1]
    code = offer.coupons.get().code
    text = str(message.body)
    assert code in text and value in text
    assert use_by.format(expiry(language)) in text
    assert f"{shop}: {SHOP}" in text
    html = html_part(message)
    assert '<p class="offer-value"' in html and f">{value}</p>" in html
    assert use_by.format(expiry(language)) in html
    assert f'href="{SHOP.replace("&", "&amp;")}"' in html and f">{shop}</a>" in html


@pytest.mark.parametrize(
    "language, use_by, shop",
    [("en", "Use your coupon by {}.", "Shop now"), ("es", "Usa tu cupón hasta el {}.", "Ir a la tienda")],
)
def test_the_confirmed_page_gives_the_offer(
    client: Client, offer: Topic, language: str, use_by: str, shop: str
) -> None:
    sign_up(client, "jo@example.com", offer, language=language)
    run_worker()
    page = html_of(client.post(link_in(mail.outbox[-1], "/confirm/") + f"?lang={language}", follow=True))
    value = {"en": "20% off your first order", "es": "20 % de descuento en tu primer pedido"}[language]
    assert f'<p class="h5 card-title offer-value">{value}</p>' in page
    assert use_by.format(expiry(language)) in page
    assert f'<a class="btn btn-primary shop-now" href="{SHOP}">{shop}</a>' in page


def test_an_offer_without_details_reads_as_before(client: Client, offers: Topic) -> None:
    sign_up(client, "jo@example.com", offers)
    run_worker()
    page = html_of(client.post(link_in(mail.outbox[-1], "/confirm/"), follow=True))
    run_worker()
    assert "shop-now" not in page and "Use your coupon" not in page
    text = str(mail.outbox[-1].body)
    assert "Enter it at checkout. It can be used once." in text
    assert "Use it by" not in text and "Shop now" not in text


@pytest.fixture
def pool(offers: Topic) -> Topic:
    offers.coupon_source = Topic.CouponSource.POOL
    offers.save()
    coupons.import_pool(offers, b"\n".join(f"POOL-{i}".encode() for i in range(3)))
    return offers


def test_a_pool_below_the_threshold_is_flagged_in_the_admin(pool: Topic, settings: Settings) -> None:
    admin = admin_client()
    for path in (
        "/admin/campaign/topic/",
        f"/admin/campaign/topic/{pool.pk}/change/",
        "/admin/campaign/coupon/",
    ):
        page = html_of(admin.get(path))
        assert (
            "The coupon pool of Email Special Offers has 3 codes left: import more before it runs out."
            in page
        )
    assert "3 (low)" in html_of(admin.get("/admin/campaign/topic/"))
    settings.COUPON_LOW_THRESHOLD = 3
    page = html_of(admin.get("/admin/campaign/topic/"))
    assert "codes left" not in page and "(low)" not in page


def test_a_pool_below_the_threshold_is_in_healthz(client: Client, pool: Topic, settings: Settings) -> None:
    body = client.get("/healthz").json()
    assert body["coupon_pools_low"] == [{"topic": "special-offers", "free": 3}]
    assert body["status"] == "ok"  # the pages work; the gift waits for codes
    sign_up(client, "jo@example.com", pool)
    run_worker()
    client.post(link_in(mail.outbox[-1], "/confirm/"))
    assert client.get("/healthz").json()["coupon_pools_low"] == [{"topic": "special-offers", "free": 2}]
    settings.COUPON_LOW_THRESHOLD = 2
    assert client.get("/healthz").json()["coupon_pools_low"] == []


def test_generated_codes_never_run_low(client: Client, offers: Topic) -> None:
    assert client.get("/healthz").json()["coupon_pools_low"] == []
