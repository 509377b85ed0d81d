"""Render an email in the recipient's language, and send it: the copy
marketers stored in the admin for that email and language
(`content.models.EmailCopy`, wrapped in `emails/_stored-body.*`), else
`templates/emails/<name>-subject.txt`, `-body.txt` and `-body.html`.

The context uses the keys of an ACS transactional event's `ctx` (`firstName`,
`couponCode`, `preferencesUrl`, `unsubscribeUrl`), so one context serves the
site's own mail, the local Campaign and a real Campaign event alike.

What a receiving server reads is what matters here, so the message is built
for it: the subject and the plain-text part are rendered without HTML
escaping (a name like D'Arcy reads as typed); `List-Unsubscribe` is the
structured field RFC 2369 defines, `<https://...>` folded only at white space,
never RFC 2047 encoded words (which Gmail and Yahoo cannot read as a link);
`Message-ID` and `List-Id` are on the site's own domain.

The brand (`signup_site.brand`, edited in the admin) is read when the email
is sent: From is its sender, Reply-To its reply-to address, and every email's
header and footer carry its name, logo, postal address and privacy link.
"""

import email.policy
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage as PythonEmailMessage
from email.message import Message as PythonMessage
from email.policy import EmailPolicy, Policy
from email.utils import make_msgid
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from signup_site.brand.brand import current_brand
from signup_site.content.models import EmailCopy, stored_copy

from .errors import CampaignUnavailable

# RFC 2369 fields whose value is a list of `<URL>`s.
URL_LIST_FIELDS = ("list-unsubscribe", "list-help", "list-subscribe", "list-post", "list-archive")


class URLListHeader(UnstructuredHeader):
    """A `List-*` field of RFC 2369: angle-bracketed URLs, folded only at the
    white space after a comma. A URL has no white space to fold at, so a long
    one makes a long line (RFC 5322 allows 998 characters), never encoded words."""

    name: str  # set by BaseHeader, which the registry mixes in

    def fold(self, *, policy: Policy) -> str:
        value = str(self)
        if not value.isascii():  # not a URL list as RFC 2369 has it: fold as text
            return str(super().fold(policy=policy))  # type: ignore[misc]
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        return f"{self.name}: " + ("," + policy.linesep + " ").join(entries) + policy.linesep


def _with_url_list_headers(policy: Policy) -> EmailPolicy:
    registry = HeaderRegistry()
    for field in URL_LIST_FIELDS:
        registry.map_to_type(field, cast(type[BaseHeader], URLListHeader))
    return cast(EmailPolicy, policy).clone(header_factory=registry)


class SiteEmail(EmailMultiAlternatives):
    """An email whose RFC 2369 fields reach the receiver as RFC 2369 says,
    whatever policy the mail backend builds it with (SMTP uses `email.policy.SMTP`)."""

    def message(self, *, policy: "Policy[PythonMessage[str, str]] | None" = None) -> PythonEmailMessage:
        built: PythonEmailMessage = super().message(
            policy=_with_url_list_headers(policy or email.policy.default)
        )
        return built


def _phrase(name: str) -> str:
    """A List-Id's description as plain ASCII words (RFC 2919 allows a phrase;
    an encoded word would hide the list from receivers that read it raw):
    accents dropped, `Café` -> `Cafe`."""
    letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join("".join(c for c in letters if c.isalnum() or c in " -_.").split())


def render_text(template_name: str, context: Mapping[str, Any]) -> str:
    """A plain-text template, rendered without HTML escaping: it is not HTML."""
    template = get_template(template_name)
    return template.template.render(Context(dict(context), autoescape=False))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(
    name: str, language: str, context: Mapping[str, str], copy: EmailCopy | None = None
) -> RenderedEmail:
    """The email's subject and parts: from `copy`, else from the copy stored
    for it in this language, else from its template files."""
    with translation.override(language or settings.LANGUAGE_CODE):
        data: dict[str, Any] = {**context, "language": translation.get_language(), "brand": current_brand()}
        copy = copy or stored_copy(name, data["language"])
        if copy is None:
            subject = " ".join(render_text(f"emails/{name}-subject.txt", data).split())
            text = render_text(f"emails/{name}-body.txt", data)
            html = render_to_string(f"emails/{name}-body.html", data)
            return RenderedEmail(subject, text, html)
        stored = copy.render(data)
        data |= {"subject": stored.subject, "preheader": stored.preheader}
        text = render_text("emails/_stored-body.txt", {**data, "body_text": stored.text})
        html = render_to_string("emails/_stored-body.html", {**data, "body_html": stored.html})
        return RenderedEmail(stored.subject, text, html)


def build_email(
    name: str, to: str, language: str, context: Mapping[str, str], rendered: RenderedEmail | None = None
) -> SiteEmail:
    rendered = rendered or render_email(name, language, context)
    brand = current_brand()
    domain = brand.domain
    headers = {"Message-ID": make_msgid(domain=domain)}
    if unsubscribe_url := context.get("unsubscribeUrl"):
        # RFC 2369 and RFC 8058: mail clients show their own unsubscribe
        # button, which POSTs "List-Unsubscribe=One-Click" to this URL.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # RFC 2919: one list per kind of message, so receivers can tell them apart.
        headers["List-Id"] = f"{_phrase(brand.name) or domain} <{name}.{domain}>"
    message = SiteEmail(
        rendered.subject,
        rendered.text,
        from_email=brand.from_address,
        to=[to],
        reply_to=[brand.reply_to] if brand.reply_to else [],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def send_site_email(
    name: str, to: str, language: str, context: Mapping[str, str], rendered: RenderedEmail | None = None
) -> None:
    """Send one of the site's emails through Django's default mailer; a mail
    server that cannot be reached is `CampaignUnavailable` (retried later)."""
    email_message = build_email(name, to, language, context, rendered)
    try:
        mailers.default.send_messages([email_message])
    except OSError as exc:
        raise CampaignUnavailable(f"Mail server unavailable: {type(exc).__name__}") from exc
