"""The emails a journey queues for a person, through the outbox.

- `Links`: the absolute URLs an email carries (signed tokens); the web app
  provides them, so this package never builds a URL. The worker, which has no
  request to be handed them by, uses the ones the web app provided when it
  started (`provide_links`, `provided_links`).
- `links_context`: what every email to a known person carries (the *Update
  Details* and unsubscribe links).
- `queue_site_email`: one of the site's own emails (`templates/emails/`), sent
  by the worker; `sent_recently` counts them, for the per-person limits.
"""

from datetime import timedelta
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import outbox
from .models import Change, PendingEmailChange, PendingSignup, Subscriber, Topic

RECENT = timedelta(hours=1)


class Links(Protocol):
    """Absolute URLs for emails; the web app provides them (signed tokens)."""

    def confirm_url(self, signup: PendingSignup) -> str: ...

    def preferences_url(self, subscriber: Subscriber) -> str: ...

    def unsubscribe_url(self, subscriber: Subscriber, topic: Topic | None = None) -> str: ...

    def email_change_url(self, change: PendingEmailChange) -> str: ...


_provided: list[Links] = []


def provide_links(links: Links) -> None:
    """The web app's links, for the worker's emails (`web.apps.WebConfig.ready`)."""
    _provided[:] = [links]


def provided_links() -> Links:
    """The links the web app provided; they need no request, only SITE_URL."""
    if not _provided:
        raise ImproperlyConfigured("No links for emails: is signup_site.web in INSTALLED_APPS?")
    return _provided[0]


def links_context(subscriber: Subscriber, links: Links) -> dict[str, str]:
    """The personalisation every email to this person carries: their first
    name, the *Update Details* link and the unsubscribe-from-all link."""
    return {
        "firstName": subscriber.first_name,
        "preferencesUrl": links.preferences_url(subscriber),
        "unsubscribeUrl": links.unsubscribe_url(subscriber),
    }


def sent_recently(subscriber: Subscriber, template: str, within: timedelta = RECENT) -> int:
    """How many emails of this template were queued for the person lately.

    Counted for the person's mailbox, over every subscriber with their key:
    another spelling of the address (`+tag`, a dot in a Gmail address) is a
    subscriber of its own, and must not buy its own allowance of mail.
    """
    return Change.objects.filter(
        subscriber__person_key=subscriber.person_key,
        kind=Change.Kind.SITE_EMAIL,
        payload__template=template,
        created_at__gte=timezone.now() - within,
    ).count()


def queue_site_email(
    subscriber: Subscriber, template: str, *, to: str, language: str, context: dict[str, str]
) -> Change:
    """Queue one of the site's own emails; call inside the causing transaction."""
    return outbox.record(
        subscriber, Change.Kind.SITE_EMAIL, template=template, email=to, language=language, context=context
    )
