"""What marketers write in the admin: the consent statement, versioned per
language, and the copy of the site's emails per message and language.

Neither is required: with nothing stored, the sign-up page shows the code's
default statement (`content/consent.py`) and the emails are the templates in
`templates/emails/`, translated.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from . import placeholders

logger = logging.getLogger(__name__)


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def message_choices() -> list[tuple[str, str]]:
    return [(name, str(spec.label)) for name, spec in placeholders.MESSAGES.items()]


class ConsentWording(models.Model):
    """One version of the consent statement in one language. Append-only:
    consent records name a version and hash its text, so a version, once
    published, is never changed or deleted; a change is a new version. The
    newest version of a language is the one the sign-up page shows."""

    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    number = models.PositiveIntegerField(_("number"), editable=False)
    version = models.CharField(_("version"), max_length=32, unique=True, editable=False)
    text = models.TextField(
        _("wording"),
        help_text=_(
            "Exactly what the sign-up page shows above its button. Saving publishes it as a new "
            "version; every consent given from then on records it."
        ),
    )
    created_at = models.DateTimeField(_("published"), default=timezone.now, editable=False)
    created_by = models.CharField(_("published by"), max_length=150, blank=True, editable=False)

    class Meta:
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")
        ordering = ["language", "-number"]
        constraints = [models.UniqueConstraint(fields=["language", "number"], name="one_number_per_language")]

    def __str__(self) -> str:
        return self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A consent wording is never changed: publish a new version")
        self.text = placeholders.normalise(self.text)
        # Two marketers publishing at once: the unique constraint picks one
        # number each; the loser takes the next.
        for _attempt in range(5):
            latest = ConsentWording.objects.filter(language=self.language).aggregate(Max("number"))
            self.number = (latest["number__max"] or 0) + 1
            self.version = f"{self.language}-v{self.number}"
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                self.pk = None
        raise IntegrityError("Could not number the new consent wording")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Consent wordings are kept: consent records name them")

    def clean(self) -> None:
        self.text = placeholders.normalise(self.text)
        current = ConsentWording.objects.filter(language=self.language).first()
        if current is not None and current.text == self.text:
            raise ValidationError(
                {"text": _("This is the wording already shown: change it to publish a new version.")}
            )


@dataclass(frozen=True)
class RenderedCopy:
    """A stored copy with its placeholders filled in, before the layout wraps it."""

    subject: str
    preheader: str
    text: str
    html: SafeString


class EmailCopy(models.Model):
    """The subject, pre-header and body of one of the site's emails in one
    language, replacing that email's template files."""

    message = models.CharField(_("email"), max_length=64, choices=message_choices)
    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("pre-header"),
        max_length=200,
        blank=True,
        help_text=_("The line inboxes show after the subject. Not shown in the email itself."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Plain text. A blank line starts a new paragraph. A link is [words](https://...) or "
            "[words]({{ confirm_url }}); a link alone in its paragraph is shown as a button. The "
            "Update Details and Unsubscribe links are added below the body."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True, editable=False)

    class Meta:
        verbose_name = _("email copy")
        verbose_name_plural = _("email copy")
        ordering = ["message", "language"]
        constraints = [models.UniqueConstraint(fields=["message", "language"], name="one_copy_per_language")]

    def __str__(self) -> str:
        return f"{self.message} ({self.language})"

    def problems(self) -> dict[str, list[str]]:
        """What is wrong with the placeholders, per field; {} when nothing."""
        if self.message not in placeholders.MESSAGES:
            return {"message": [str(_("Choose an email from the list."))]}
        found = {
            "subject": placeholders.problems(self.subject, self.message),
            "preheader": placeholders.problems(self.preheader, self.message),
            "body": placeholders.problems(self.body, self.message, body=True),
        }
        return {field: errors for field, errors in found.items() if errors}

    def clean(self) -> None:
        self.body = placeholders.normalise(self.body)
        if errors := self.problems():
            raise ValidationError(errors)

    def render(self, values: dict[str, Any]) -> RenderedCopy:
        """Filled in with `values` (an email's context, camelCase keys)."""
        return RenderedCopy(
            subject=" ".join(placeholders.render_plain(self.subject, values).split()),
            preheader=" ".join(placeholders.render_plain(self.preheader, values).split()),
            text=placeholders.render_plain_body(self.body, values),
            html=placeholders.render_html_body(self.body, values),
        )


def stored_copy(message: str, language: str) -> EmailCopy | None:
    """The copy marketers stored for this email and language, if any and if
    it is still sound; otherwise None, and the template files are used."""
    copy = EmailCopy.objects.filter(message=message, language=language).first()
    if copy is not None and copy.problems():
        # Saved before a placeholder was withdrawn from this email: the
        # templates say it right, the stored copy would not.
        logger.warning("email copy %s is no longer valid; sending the default %s", copy.pk, message)
        return None
    return copy
