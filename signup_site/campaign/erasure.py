"""The right to be forgotten, where it meets the outbox worker and the other
journeys: the salted hash that keeps an erased address suppressed, and the
delivery step of an erasure (`deliver_erasure`).

Delivering one erasure is one outbox change, taken in steps that are each safe
to repeat: file the request with Campaign's privacy tool (found, not filed
twice, on a retry), ask how far Campaign is, and while it is still working
raise `CampaignPending` so the outbox asks again PRIVACY_POLL_SECONDS later
(never a busy loop); once Campaign is done, email the person that it is done,
then forget their address: only its hash remains.

Imports nothing that records changes (`outbox` imports `delivery`, which
imports this).
"""

import hashlib
import hmac
import logging

from django.db import transaction
from django.utils import timezone

from .addresses import AddressRefused, canonical_address
from .backends import get_backend
from .backends.base import ErasureRequest
from .config import privacy_config
from .errors import CampaignPending, CampaignRejected
from .mail import send_site_email
from .models import Change, ErasedAddress, PrivacyRequest

logger = logging.getLogger(__name__)

ERASED_TEMPLATE = "privacy-erased"


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the address's canonical spelling, under PRIVACY_HASH_SALT:
    every spelling of one mailbox has one hash, and the hash alone does not
    give the address back (nor can it be looked up without the salt)."""
    try:
        canonical = canonical_address(email)
    except AddressRefused:
        canonical = email.strip().lower()
    salt = privacy_config().hash_salt.encode()
    return hmac.new(salt, canonical.encode(), hashlib.sha256).hexdigest()


def was_erased(email: str) -> bool:
    """True when a person with this address asked to be erased and has not
    confirmed a new sign-up since: they must confirm by email before any mail."""
    return ErasedAddress.objects.filter(address_hash=address_hash(email)).exists()


def lift_erasure(email: str) -> None:
    """A confirmed sign-up is a new, explicit consent: the address is no
    longer suppressed (the person is a new subscriber)."""
    ErasedAddress.objects.filter(address_hash=address_hash(email)).delete()


def _save(request: PrivacyRequest, **fields: object) -> None:
    for name, value in fields.items():
        setattr(request, name, value)
    PrivacyRequest.objects.filter(pk=request.pk).update(**fields)


def deliver_erasure(change: Change) -> None:
    """One step of an erasure's way to Campaign (see the module docstring)."""
    request = PrivacyRequest.objects.filter(public_id=change.payload.get("request")).first()
    if request is None:
        raise CampaignRejected("The privacy request of this change is gone")
    backend = get_backend()
    if request.status == PrivacyRequest.Status.RECEIVED:
        reference = backend.request_erasure(
            ErasureRequest(name=request.campaign_name, email=request.email, regulation=request.regulation)
        )
        _save(
            request, campaign_reference=reference, status=PrivacyRequest.Status.SENT, sent_at=timezone.now()
        )
    if request.status == PrivacyRequest.Status.SENT:
        status = backend.erasure_status(request.campaign_reference)
        _save(request, campaign_status=status.state, checked_at=timezone.now())
        if not status.done:
            raise CampaignPending(
                f"Campaign is still processing the erasure ({status.state})",
                retry_after=privacy_config().poll_seconds,
            )
        _save(request, status=PrivacyRequest.Status.ERASED, erased_at=timezone.now())
    if request.status == PrivacyRequest.Status.ERASED:
        # The one email the site still sends them; a mail server that cannot
        # be reached raises CampaignUnavailable and this step is retried.
        send_site_email(ERASED_TEMPLATE, request.email, request.language, {})
        with transaction.atomic():
            _save(request, email="", status=PrivacyRequest.Status.CONFIRMED, confirmed_at=timezone.now())
        logger.info("privacy request %s complete; the address is forgotten", request.pk)
