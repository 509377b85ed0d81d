"""What the site keeps that Campaign cannot: topics, subscribers and their
pending sign-ups, consent evidence, coupons, and the outbox of changes on
their way to Campaign. The requests the pages take in for the worker live in
`inbound_models`, the embedded `local` Campaign's own tables in
`local_models`; both are imported at the bottom.
"""

import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .addresses import mask_address
from .languages import current_language
from .public_ids import PublicIdQuerySet, parse_public_id


class Topic(models.Model):
    """A Campaign service offered as a checkbox, e.g. "Newsletter"."""

    class CouponSource(models.TextChoices):
        GENERATED = "generated", _("Generated codes")
        POOL = "pool", _("Imported pool")

    slug = models.SlugField(unique=True)
    label = models.CharField(_("label (English)"), max_length=100)
    description = models.CharField(_("description (English)"), max_length=300, blank=True)
    service_name = models.CharField(
        _("Campaign service name"),
        max_length=64,
        unique=True,
        help_text=_("The service's internal name in Campaign, e.g. SVC12."),
    )
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    show_on_signup = models.BooleanField(_("shown on sign-up"), default=True)
    opt_in_message = models.CharField(
        _("message sent on opt-in"),
        max_length=64,
        blank=True,
        help_text=_("A transactional message name, e.g. special-offer. Empty: none."),
    )
    is_special_offer = models.BooleanField(
        _("special offer"),
        default=False,
        help_text=_("Opting in allocates a gift coupon, once per person, ever."),
    )
    coupon_source = models.CharField(max_length=16, choices=CouponSource, default=CouponSource.GENERATED)
    coupon_prefix = models.CharField(max_length=12, blank=True, default="GIFT-")
    # What the special-offer email and the confirmed page say about the gift.
    offer_value = models.CharField(
        _("offer (English)"),
        max_length=120,
        blank=True,
        # xgettext:no-python-format (the "%" is a percentage, never formatted)
        help_text=_("What the coupon gives, e.g. 20% off your first order. Translations below."),
    )
    offer_shop_url = models.URLField(
        _("shop URL"), blank=True, help_text=_("Where the coupon is used: the email's Shop now button.")
    )
    coupon_valid_days = models.PositiveIntegerField(
        _("coupon valid for (days)"),
        null=True,
        blank=True,
        help_text=_("Each coupon can be used this many days after it is sent. Empty: no expiry shown."),
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label

    def _translation(self) -> "TopicTranslation | None":
        language = current_language()
        if language == "en":
            return None
        # Prefetched translations avoid a query per topic on the sign-up page.
        for translation in self.translations.all():
            if translation.language == language:
                return translation
        return None

    @property
    def message_on_opt_in(self) -> str:
        """The transactional message opting in sends ("" for none); a special
        offer sends its coupon email, "special-offer" unless it names another."""
        if self.is_special_offer:
            return self.opt_in_message or "special-offer"
        return self.opt_in_message

    @property
    def display_offer_value(self) -> str:
        translation = self._translation()
        return translation.offer_value if translation and translation.offer_value else self.offer_value

    @property
    def display_label(self) -> str:
        translation = self._translation()
        return translation.label if translation and translation.label else self.label

    @property
    def display_description(self) -> str:
        translation = self._translation()
        if translation and translation.description:
            return translation.description
        return self.description


class TopicTranslation(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    label = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    offer_value = models.CharField(_("offer"), max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "language"], name="one_translation_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.topic.slug} [{self.language}]"


class Subscriber(models.Model):
    """A person known to the site. Links name `public_id`, never the email or PKey."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        ERASED = "erased", _("Erased (right to be forgotten)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    # The address with aliases folded (a.b+x@gmail.com -> ab@gmail.com): the
    # identity that "one coupon per person" counts.
    person_key = models.CharField(max_length=254, db_index=True)
    first_name = models.CharField(max_length=30, blank=True)
    last_name = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    # Campaign's key for the profile, cached server-side; re-resolved by email
    # when Campaign answers "not found".
    campaign_pkey = models.CharField(max_length=254, blank=True)
    email_frequency = models.CharField(max_length=32, blank=True)  # "": every email (see optdown)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PublicIdQuerySet.as_manager()

    class Meta:
        permissions = [("view_subscriber_email", _("Can see a subscriber's full email address"))]

    def __str__(self) -> str:
        # The admin lists people by this: masked, never the whole address.
        return mask_address(self.email)


class PendingSignup(models.Model):
    """A sign-up held locally until its confirmation link is used."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="signups")
    first_name = models.CharField(max_length=30, blank=True)
    last_name = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=8, default="en")
    topics = models.ManyToManyField(Topic, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PublicIdQuerySet.as_manager()

    def __str__(self) -> str:
        return f"sign-up {self.pk}"


class ConsentRecord(models.Model):
    """Append-only evidence of what a person was shown and agreed to."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Sign-up request")
        CONFIRMATION = "confirmation", _("Confirmation")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.PROTECT, related_name="consents")
    signup = models.ForeignKey(PendingSignup, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind)
    created_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    source = models.CharField(_("source page"), max_length=512, blank=True)
    topics = models.JSONField(default=list, help_text=_("Campaign service names consented to."))
    language = models.CharField(max_length=8)
    wording_version = models.CharField(max_length=32)
    wording_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Consent records are append-only")


class Coupon(models.Model):
    """A gift code of a special-offer topic: free until issued, then one person's."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(max_length=64, unique=True)
    holder_key = models.CharField(max_length=254, null=True, blank=True)
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupons"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The database itself enforces "one coupon per person per offer,
            # ever", whatever races the application loses.
            models.UniqueConstraint(
                fields=["topic", "holder_key"],
                condition=models.Q(holder_key__isnull=False),
                name="one_coupon_per_person_per_offer",
            )
        ]
        indexes = [models.Index(fields=["topic", "holder_key"], name="coupon_free_idx")]

    def __str__(self) -> str:
        return self.code


class Change(models.Model):
    """The outbox: one change on its way to Campaign (or one email to send).

    Written in the same transaction as the local state that caused it; the
    worker delivers one person's changes in `id` order.
    """

    class Kind(models.TextChoices):
        SYNC_PROFILE = "sync_profile", _("Find or create profile")
        UPDATE_PROFILE = "update_profile", _("Update profile")
        SUBSCRIBE = "subscribe", _("Subscribe")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
        SEND_MESSAGE = "send_message", _("Send transactional message")
        SITE_EMAIL = "site_email", _("Send the site's own email")
        ERASE_PROFILE = "erase_profile", _("Erase the person (privacy request)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Delivered")
        PARKED = "parked", _("Rejected (parked)")

    class Failure(models.TextChoices):
        """What the last failed attempt means: what the operator should do."""

        UNAVAILABLE = "unavailable", _("Campaign unavailable (retried)")
        REJECTED = "rejected", _("Rejected by Campaign")
        AUTH = "auth", _("Credentials refused")
        MISCONFIGURED = "misconfigured", _("Misconfigured")
        UNEXPECTED = "unexpected", _("Unexpected error")

    # Claimed by nobody yet, or by a worker now: what "not delivered yet" means.
    UNFINISHED = (Status.PENDING, Status.IN_PROGRESS)
    # Failures only an operator can end: every delivery to Campaign waits.
    OPERATOR_FAILURES = (Failure.AUTH, Failure.MISCONFIGURED)

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=32, choices=Kind)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failure = models.CharField(max_length=16, choices=Failure, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="change_due_idx"),
            models.Index(fields=["subscriber", "status"], name="change_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class OptOut(models.Model):
    """An opt-out, recorded locally the moment it is asked for.

    While active, the site honours it whatever Campaign says: an opt-out of
    everything (`topic` empty) is a suppression; the site sends that person no
    marketing message until a new, confirmed sign-up lifts it.
    """

    class Via(models.TextChoices):
        PAGE = "page", _("Unsubscribe page")
        ONE_CLICK = "one_click", _("One-click (mail client)")
        PREFERENCES = "preferences", _("Preferences page")

    class Reason(models.TextChoices):
        TOO_MANY = "too_many", _("I get too many emails")
        NOT_RELEVANT = "not_relevant", _("The emails are not relevant to me")
        NEVER_SIGNED_UP = "never_signed_up", _("I never signed up")
        OTHER = "other", _("Another reason")

    class Ended(models.TextChoices):
        UNDONE = "undone", _("Undone by the person")
        RECONFIRMED = "reconfirmed", _("Lifted by a confirmed sign-up")
        RESUBSCRIBED = "resubscribed", _("Subscribed again on the preferences page")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="optouts")
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, help_text=_("Empty: all email.")
    )
    via = models.CharField(max_length=16, choices=Via)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=32, choices=Reason, blank=True)
    reason_text = models.TextField(_("reason, in their words"), blank=True, max_length=1000)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, choices=Ended, blank=True)
    # The outbox change that tells Campaign; the health check watches it.
    change = models.OneToOneField(
        "Change", on_delete=models.SET_NULL, null=True, blank=True, related_name="optout"
    )

    objects = PublicIdQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opt-out")

    def __str__(self) -> str:
        return f"opt-out {self.pk}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class PendingEmailChange(models.Model):
    """A new address waiting for its owner to confirm it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PublicIdQuerySet.as_manager()

    def __str__(self) -> str:
        return f"email change {self.pk}"


from .inbound_models import InboundRequest  # noqa: E402
from .local_models import LocalMessage, LocalProfile, LocalService, LocalSubscription  # noqa: E402
from .optdown_models import OptDownRecord, Pause  # noqa: E402
from .privacy_models import ErasedAddress, PrivacyRequest  # noqa: E402

__all__ = [
    "Change",
    "ConsentRecord",
    "Coupon",
    "ErasedAddress",
    "InboundRequest",
    "LocalMessage",
    "LocalProfile",
    "LocalService",
    "LocalSubscription",
    "OptDownRecord",
    "OptOut",
    "Pause",
    "PendingEmailChange",
    "PendingSignup",
    "PrivacyRequest",
    "PublicIdQuerySet",
    "Subscriber",
    "Topic",
    "TopicTranslation",
    "parse_public_id",
]
