"""What the site keeps to let a person receive fewer emails rather than none
("opt down"): their pauses, and the evidence of every choice and undo.
The chosen frequency itself is `Subscriber.email_frequency`. Imported by `models`.
"""

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .public_ids import PublicIdQuerySet


class Pause(models.Model):
    """A break from marketing email until `resumes_at`: suppressed by the site
    at once and blacklisted on Campaign, then resumed by the sweeper."""

    class Ended(models.TextChoices):
        RESUMED = "resumed", _("Resumed on its date")
        RESUMED_EARLY = "resumed_early", _("Resumed early by the person")
        UNDONE = "undone", _("Undone by the person")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed for good")
        RECONFIRMED = "reconfirmed", _("Lifted by a confirmed sign-up")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber = models.ForeignKey("Subscriber", on_delete=models.CASCADE, related_name="pauses")
    days = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    resumes_at = models.DateTimeField(db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, choices=Ended, blank=True)

    objects = PublicIdQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pause")

    def __str__(self) -> str:
        return f"pause {self.pk}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class OptDownRecord(models.Model):
    """Append-only evidence of an opt-down choice or its undo: when, what was
    chosen (and what it replaced), the wording shown, and where."""

    class Kind(models.TextChoices):
        FREQUENCY = "frequency", _("Chose an email frequency")
        FREQUENCY_UNDONE = "frequency_undone", _("Undid a frequency choice")
        PAUSE = "pause", _("Paused emails")
        PAUSE_EXTENDED = "pause_extended", _("Extended a pause")
        PAUSE_UNDONE = "pause_undone", _("Undid a pause")
        RESUMED_EARLY = "resumed_early", _("Resumed emails early")
        RESUMED = "resumed", _("Emails resumed on the pause's date")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber = models.ForeignKey("Subscriber", on_delete=models.CASCADE, related_name="optdowns")
    pause = models.ForeignKey(Pause, on_delete=models.SET_NULL, null=True, blank=True, related_name="records")
    kind = models.CharField(max_length=20, choices=Kind)
    # A frequency's value, or a pause's days; `previous` what it replaced
    # (the frequency, or the resume date an extension moved), for the undo.
    choice = models.CharField(max_length=32, blank=True)
    previous = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    wording = models.CharField(_("wording shown"), max_length=500, blank=True)
    wording_sha256 = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    source = models.CharField(_("source page"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = PublicIdQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opt-down record")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Opt-down records are kept as evidence")
