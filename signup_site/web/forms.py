"""Forms validate and normalise; they never call Campaign."""

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from signup_site.campaign.addresses import AddressRefused, Refusal, canonical_address
from signup_site.campaign.languages import current_language, self_name
from signup_site.campaign.models import OptOut, Topic
from signup_site.campaign.signups import signup_topics


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself, so a person finds theirs whatever the page's language."""
    return [(code, self_name(code)) for code, _name in settings.LANGUAGES]


def topic_label(topic: Topic) -> str:
    """A checkbox label: the topic's name, and its description beneath."""
    if topic.display_description:
        return format_html(
            '{} <span class="d-block small text-body-secondary">{}</span>',
            topic.display_label,
            topic.display_description,
        )
    return topic.display_label


class TopicChoiceField(forms.ModelMultipleChoiceField):
    # A topic's id as a form sends it: a database id (BigAutoField) fits in 18 digits.
    TOPIC_ID = re.compile(r"[0-9]{1,18}")

    def label_from_instance(self, obj: Topic) -> str:
        return topic_label(obj)

    def clean(self, value: Any) -> Any:
        # A topic may be named by its slug as well as its id: an embedded form
        # (web.embed) or a JSON client names topics by slug, which stays the
        # same across databases while ids do not.
        if isinstance(value, list | tuple) and any(not self.TOPIC_ID.fullmatch(str(v)) for v in value):
            ids = {topic.slug: str(topic.pk) for topic in self.queryset or ()}
            value = [ids.get(v, v) if isinstance(v, str) else v for v in value]
        # Checked before any query: SQLite cannot even compare a number past
        # 64 bits (OverflowError), which must be a form error, not a 500.
        for pk in value if isinstance(value, list | tuple) else ():
            if not isinstance(pk, str) or not self.TOPIC_ID.fullmatch(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)

    def _check_values(self, value: Any) -> QuerySet[Topic]:
        # Which topics were chosen is all a sign-up needs: their translations,
        # prefetched for the labels, are read only when the form is shown.
        # (`_queryset`, not the setter, which would rebuild the widget's choices.)
        shown = self.queryset
        assert shown is not None  # set in __init__
        self._queryset = shown.prefetch_related(None)
        try:
            return super()._check_values(value)  # type: ignore[misc]  # Django's, untyped in the stubs
        finally:
            self._queryset = shown


# What a person reads for each reason `canonical_address` refuses an address.
ADDRESS_REFUSED = {
    Refusal.QUOTED: _("Enter the email address without quotation marks"),
    Refusal.IP_LITERAL: _("Enter a domain name after the @, like name@example.com, not an IP address"),
    Refusal.NOT_A_DOMAIN: _("Enter the full domain name after the @, like name@example.com"),
    Refusal.TOO_LONG: _("Enter a shorter email address: at most 64 characters before the @ and 254 in all"),
    Refusal.NOT_ASCII: _("Enter an email address without accented or non-Latin letters before the @"),
    Refusal.MALFORMED: _("Enter an email address in the right format, like name@example.com"),
}


class EmailForm(forms.Form):
    """The email address, as every form asks for it: canonical, errors in words.

    One parser decides, `canonical_address`: this is a CharField because
    Django's EmailField runs a second parser first, one that accepts quoted
    local parts, `localhost` and IP literals. Two parsers that disagree are
    how one mailbox came to have several spellings.
    """

    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address"),
            "max_length": ADDRESS_REFUSED[Refusal.TOO_LONG],
        },
    )

    def clean_email(self) -> str:
        try:
            return canonical_address(self.cleaned_data["email"])
        except AddressRefused as refused:
            raise ValidationError(ADDRESS_REFUSED[refused.reason], code=refused.reason) from refused


class PersonForm(EmailForm):
    """A person's details: the email address, names (white space folded) and language."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={
            "max_length": _("First name can be at most %(limit_value)d characters; you typed %(show_value)d.")
        },
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={
            "max_length": _("Last name can be at most %(limit_value)d characters; you typed %(show_value)d.")
        },
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=language_choices,
        error_messages={
            "required": _("Choose your preferred language"),
            "invalid_choice": _("Choose a language from the list"),
        },
    )

    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())


class SignupForm(PersonForm):
    topics = TopicChoiceField(
        label=_("What would you like to receive?"),
        queryset=Topic.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one kind of email"),
            "invalid_choice": _("Choose from the emails listed"),
            "invalid_pk_value": _("Choose from the emails listed"),
            "invalid_list": _("Choose from the emails listed"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = signup_topics()  # type: ignore[attr-defined]
        self.fields["language"].initial = current_language()


class PreferencesForm(PersonForm):
    # The page shows the names first: they are what people come to change.
    field_order = ["first_name", "last_name", "email", "language", "topics", "shown"]

    # What the page showed, signed (`web.preferences.sign_shown`): an update is
    # what differs from it, so it needs no Campaign read, and a form sent
    # again (Back, then Update) still knows what it was compared with.
    shown = forms.CharField(widget=forms.HiddenInput, required=False)
    topics = forms.MultipleChoiceField(
        label=_("Emails you receive"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose from the emails listed"),
            "invalid_list": _("Choose from the emails listed"),
        },
    )

    def __init__(
        self,
        *args: Any,
        topics: tuple[Topic, ...] = (),
        pending: frozenset[str] = frozenset(),
        stopped_all: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if stopped_all:
            self.fields["topics"].disabled = True
            self.fields["topics"].help_text = _(
                "You have unsubscribed from all our emails, so none of these are sent to you."
            )
        self.fields["email"].help_text = _(
            "If you change it, we will email the new address a link to confirm it."
        )
        choices = []
        for topic in topics:
            label = topic_label(topic)
            if topic.service_name in pending:
                label = format_html(
                    '{} <span class="badge text-bg-light">{}</span>', label, _("change saved")
                )
            choices.append((topic.service_name, label))
        self.fields["topics"].choices = choices  # type: ignore[attr-defined]


class EmailLinkForm(EmailForm):
    """'Email me my link'."""


class OptOutReasonForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why did you unsubscribe? (optional)"),
        choices=OptOut.Reason.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a reason from the list")},
    )
    reason_text = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "Your message can be at most %(limit_value)d characters; you typed %(show_value)d."
            )
        },
    )
