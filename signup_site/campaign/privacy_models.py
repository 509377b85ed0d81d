"""What the site keeps to honour a person's right to be forgotten: the request
and its progress to Campaign, and a salted hash of each erased address (so an
erased person stays suppressed). Imported by `models`.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrivacyRequest(models.Model):
    """One erasure ("delete me"), from the person's button to the email that
    tells them it is done. The address is kept only until that email is sent."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        SENT = "sent", _("Sent to Campaign, processing")
        ERASED = "erased", _("Erased in Campaign")
        CONFIRMED = "confirmed", _("Erased; the person was told")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The erased person's tombstone; empty once the evidence retention is over.
    subscriber = models.ForeignKey(
        "Subscriber", on_delete=models.SET_NULL, null=True, blank=True, related_name="privacy_requests"
    )
    address_hash = models.CharField(max_length=64, db_index=True)
    # Blanked once the confirmation email is sent.
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="en")
    regulation = models.CharField(max_length=8, default="gdpr")
    backend = models.CharField(max_length=200)
    # Campaign's handle on the request (an ACS href, a v8 request id).
    campaign_reference = models.CharField(max_length=500, blank=True)
    campaign_status = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.RECEIVED)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("privacy request")

    def __str__(self) -> str:
        return f"privacy request {self.pk}"

    @property
    def campaign_name(self) -> str:
        """The unique name Campaign files it under: the same on every retry."""
        return "SIGNUP-" + self.public_id.hex[:20]


class ErasedAddress(models.Model):
    """A salted hash of an erased person's canonical address: that address
    stays suppressed; a new sign-up with it must be confirmed by email."""

    address_hash = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("erased address")

    def __str__(self) -> str:
        return f"erased address {self.pk}"
