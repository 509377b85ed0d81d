"""Walking the privacy journey as a person does: open the Update Details link,
press Download my data or Delete my data; and what is left of them after."""

import json
import time
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client

from signup_site.campaign.models import (
    Change,
    ConsentRecord,
    Coupon,
    ErasedAddress,
    OptOut,
    PendingEmailChange,
    PendingSignup,
    PrivacyRequest,
    Subscriber,
)
from tests.helpers import link_in


def open_latest_preferences_link(client: Client) -> None:
    """Follow the Update Details link of the latest email: a preferences session."""
    response = client.get(link_in(mail.outbox[-1], "/preferences/"))
    assert response.status_code == 302, response.content[:500]


def links_made_ago(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Every link signed from now on carries a timestamp `seconds` in the past,
    as a link emailed that long ago does."""
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - seconds)
    )


def download(client: Client) -> dict[str, Any]:
    response = client.post("/preferences/my-data/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    data: dict[str, Any] = json.loads(response.content)
    return data


def press_delete(client: Client) -> str:
    page = client.get("/preferences/delete/")
    assert page.status_code == 200 and b"Yes, delete my data" in page.content
    response = client.post("/preferences/delete/", {"confirm": "yes"})
    assert response.status_code == 303  # to the deleted page (Post/Redirect/Get)
    return client.get(response["Location"]).content.decode()


def what_is_left(email: str) -> dict[str, Any]:
    """Everything the site's tables hold that still names or links the person."""
    return {
        "subscribers with the address": Subscriber.objects.filter(email__iexact=email).count(),
        "erased tombstones": list(
            Subscriber.objects.filter(status=Subscriber.Status.ERASED).values(
                "email", "first_name", "last_name", "campaign_pkey"
            )
        ),
        "names on sign-ups": list(
            PendingSignup.objects.exclude(first_name="", last_name="").values_list("first_name", flat=True)
        ),
        "opt-outs": OptOut.objects.count(),
        "email changes": PendingEmailChange.objects.count(),
        "coupons held": Coupon.objects.filter(subscriber__isnull=False).count(),
        "changes naming the address": [
            change.kind for change in Change.objects.all() if email in json.dumps(change.payload)
        ],
        "requests with the address": PrivacyRequest.objects.exclude(email="").count(),
        "hashes": ErasedAddress.objects.count(),
        "consent records": ConsentRecord.objects.count(),
    }
