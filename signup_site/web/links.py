"""Signed links: one place makes and reads every token the site emails.

A token is Django `signing` of the site's own ids, salted per purpose so a
token made for one page is refused by every other. It never carries an email
address or a Campaign PKey. Keys rotate through DJANGO_SECRET_KEY_FALLBACKS.
"""

from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from signup_site.campaign.models import PendingEmailChange, PendingSignup, Subscriber, Topic


class Purpose(StrEnum):
    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    EMAIL_CHANGE = "email-change"


class BadLink(Exception):
    """Tampered, truncated, or made for another purpose."""


class ExpiredLink(BadLink):
    """Genuine, but older than its purpose allows."""


def max_age(purpose: Purpose) -> timedelta:
    days = {
        Purpose.CONFIRM: settings.SIGNUP_CONFIRM_MAX_AGE_DAYS,
        Purpose.PREFERENCES: settings.PREFERENCES_LINK_MAX_AGE_DAYS,
        Purpose.UNSUBSCRIBE: settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS,
        Purpose.EMAIL_CHANGE: settings.SIGNUP_CONFIRM_MAX_AGE_DAYS,
    }[purpose]
    return timedelta(days=days)


def _salt(purpose: Purpose) -> str:
    return f"signup_site.links.{purpose}"


def make_token(purpose: Purpose, **payload: str) -> str:
    return signing.dumps(payload, salt=_salt(purpose))


def read_token(purpose: Purpose, token: str) -> dict[str, Any]:
    """The payload of a genuine, unexpired token of this purpose."""
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=max_age(purpose))
    except signing.SignatureExpired:
        raise ExpiredLink(purpose) from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise BadLink(purpose) from None
    if not isinstance(payload, dict):
        raise BadLink(purpose)
    return payload


def absolute(path: str) -> str:
    return settings.SITE_URL + path


class SiteLinks:
    """The URLs the service module puts in emails."""

    def confirm_url(self, signup: PendingSignup) -> str:
        token = make_token(Purpose.CONFIRM, p=signup.public_id.hex)
        return absolute(reverse("signup-confirm", args=[token]))

    def preferences_url(self, subscriber: Subscriber) -> str:
        token = make_token(Purpose.PREFERENCES, s=subscriber.public_id.hex)
        return absolute(reverse("prefs-page", args=[token]))

    def unsubscribe_url(self, subscriber: Subscriber, topic: Topic | None = None) -> str:
        payload = {"s": subscriber.public_id.hex}
        if topic is not None:
            payload["t"] = topic.slug
        token = make_token(Purpose.UNSUBSCRIBE, **payload)
        return absolute(reverse("optout-page", args=[token]))

    def email_change_url(self, change: PendingEmailChange) -> str:
        token = make_token(Purpose.EMAIL_CHANGE, c=change.public_id.hex)
        return absolute(reverse("prefs-email-confirm", args=[token]))


site_links = SiteLinks()
