"""Render an email from `templates/emails/<name>-subject.txt`, `-body.txt`
and `-body.html`, in the recipient's language.

The context uses the keys of an ACS transactional event's `ctx` (`firstName`,
`couponCode`, `preferencesUrl`, `unsubscribeUrl`), so one context serves the
site's own mail, the local Campaign and a real Campaign event alike.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.utils import translation

from .errors import CampaignUnavailable


def build_email(name: str, to: str, language: str, context: Mapping[str, str]) -> EmailMultiAlternatives:
    with translation.override(language or settings.LANGUAGE_CODE):
        data = {**context, "language": translation.get_language()}
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", data).split())
        text = render_to_string(f"emails/{name}-body.txt", data)
        html = render_to_string(f"emails/{name}-body.html", data)
    headers = {}
    if unsubscribe_url := context.get("unsubscribeUrl"):
        # RFC 2369 and RFC 8058: mail clients show their own unsubscribe
        # button, which POSTs "List-Unsubscribe=One-Click" to this URL.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def send_site_email(name: str, to: str, language: str, context: Mapping[str, str]) -> None:
    """Send one of the site's emails through Django's default mailer; a mail
    server that cannot be reached is `CampaignUnavailable` (retried later)."""
    email = build_email(name, to, language, context)
    try:
        mailers.default.send_messages([email])
    except OSError as exc:
        raise CampaignUnavailable(f"Mail server unavailable: {type(exc).__name__}") from exc
