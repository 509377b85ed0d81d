"""Requests the public pages take in and answer before looking anything up.

A sign-up or an "email me my link" request is written here as submitted, and
the page answers at once, the same for every address: whether the address is
known, opted out or at its limit is decided by the worker, never while the
person waits (which would tell them by how long the answer took). The worker
deletes the row once it has acted on it; one that failed stays, with its
error, and is tried again.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundRequest(models.Model):
    """One request taken in by a page, waiting for the worker to act on it."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        PREFERENCES_LINK = "preferences_link", _("Email me my link")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")

    kind = models.CharField(max_length=32, choices=Kind)
    # The address in its canonical spelling, as the page validated it.
    email = models.CharField(max_length=254)
    # What else was submitted: names, language, topics, and for a sign-up the
    # consent evidence (IP, user agent, source page, wording version and hash).
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="inbound_due_idx")]
        verbose_name = _("request taken in")
        verbose_name_plural = _("requests taken in")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
