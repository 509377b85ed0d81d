"""The brand: one row, edited in the admin, shown on every page and email."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .cache import forget_brand
from .colours import MINIMUM_CONTRAST, contrast_with_white, normalise_colour


def validate_accent(value: str) -> None:
    """Refuse a colour that white text on it, or it as text on white, cannot read."""
    colour = normalise_colour(value)
    if colour is None:
        raise ValidationError(_("Enter a colour as six hex digits, like #0a58ca."), code="invalid")
    ratio = contrast_with_white(colour)
    if ratio < MINIMUM_CONTRAST:
        raise ValidationError(
            _(
                "%(colour)s has a contrast of only %(ratio).2f:1 with white. Buttons (white text on "
                "the colour) and links (the colour on white) need at least %(minimum)s:1 for WCAG 2.2 "
                "AA: choose a darker colour."
            ),
            code="low_contrast",
            params={"colour": colour, "ratio": ratio, "minimum": MINIMUM_CONTRAST},
        )


def validate_support_contact(value: str) -> None:
    """An email address or an https:// (or http://) page."""
    try:
        (URLValidator(schemes=["https", "http"]) if "://" in value else EmailValidator())(value)
    except ValidationError:
        raise ValidationError(
            _("Enter an email address or a web address starting with https://."), code="invalid"
        ) from None


class Brand(models.Model):
    """The brand the site speaks for. There is one row (pk 1): `current_brand()`
    creates it from the BRAND_* environment variables on first use."""

    SINGLETON_PK = 1

    name = models.CharField(_("brand name"), max_length=100)
    logo = models.BinaryField(_("logo"), blank=True, editable=False, default=b"")
    logo_content_type = models.CharField(max_length=32, blank=True, editable=False)
    logo_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    logo_width = models.PositiveIntegerField(default=0, editable=False)
    logo_height = models.PositiveIntegerField(default=0, editable=False)
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#0a58ca",
        validators=[validate_accent],
        help_text=_("The pages' accent: links and buttons. At least 4.5:1 contrast with white."),
    )
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    sender_email = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    postal_address = models.TextField(
        _("postal address"),
        max_length=500,
        help_text=_("Shown in every email: the law (CAN-SPAM) asks for a valid postal address."),
    )
    privacy_url = models.URLField(_("privacy policy URL"))
    terms_url = models.URLField(_("terms URL"), blank=True)
    support_contact = models.CharField(
        _("support contact"),
        max_length=254,
        blank=True,
        validators=[validate_support_contact],
        help_text=_("An email address or a help page's URL."),
    )
    site_domain = models.CharField(
        _("the site's own domain"),
        max_length=253,
        blank=True,
        help_text=_(
            "The domain of the emails' Message-ID and List-Id, e.g. news.example.com. Empty: SITE_URL's."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brand")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)
        # After commit as well: a request that read the old row meanwhile
        # must not leave it cached.
        forget_brand()
        transaction.on_commit(forget_brand)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("The brand cannot be deleted; edit it instead")

    def clean(self) -> None:
        colour = normalise_colour(self.primary_colour)
        if colour:
            self.primary_colour = colour
        self.site_domain = self.site_domain.strip().lower().rstrip(".")
