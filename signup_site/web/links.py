"""Signed links: one place makes and opens every token the site emails.

A token is Django `signing` of the site's own ids, salted per purpose so a
token made for one page is refused by every other. It never carries an email
address or a Campaign PKey. Keys rotate through DJANGO_SECRET_KEY_FALLBACKS.

`SiteLinks` makes them (the service module's `Links`); `@signed_link(purpose)`
opens them for a view: it reads the token, finds what it names (the pending
sign-up, the person, the person and topic, the pending email change), switches
to that person's language, and hands it to the view; a tampered, expired,
misdirected or dangling link gets the friendly bad-link page instead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from signup_site.campaign import email_change, optdown, optouts, preferences, signups
from signup_site.campaign.models import OptOut, PendingEmailChange, PendingSignup, Subscriber, Topic


class Purpose(StrEnum):
    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    EMAIL_CHANGE = "email-change"
    OPTDOWN = "optdown"  # a fewer-emails or pause result page, and its undo


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
        Purpose.OPTDOWN: settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS,
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


def issued_at(token: str) -> float | None:
    """When a token was made (POSIX seconds), read from its signed timestamp;
    call only on a token `read_token` accepted."""
    try:
        _payload, timestamp, _signature = token.rsplit(signing.Signer().sep, 2)
        return float(signing.b62_decode(timestamp))
    except ValueError:
        return None


def link_issued(purpose: Purpose, token: str) -> float | None:
    """When the email that brought this token was sent: its signed timestamp,
    or the earlier time it carries (`i`) when the site minted it on a page the
    person reached from an older link, so minting never makes a link younger."""
    issued = issued_at(token)
    carried = read_token(purpose, token).get("i")
    try:
        return min(issued, float(carried)) if issued is not None and carried is not None else issued
    except (TypeError, ValueError):
        return issued


GOODBYE_SALT = "signup_site.links.goodbye"
# The goodbye page is for the moment after the button: reloading it, switching
# its language, coming Back to it. Later, the unsubscribe link shows its page.
GOODBYE_MAX_AGE = timedelta(days=1)


def goodbye_path(token: str, optout: OptOut, *, answered: bool = False) -> str:
    """The GET page showing what became of `optout` (Post/Redirect/Get): it
    names the opt-out signed, so no one reaches it by guessing an id.
    `answered`: the reason form was sent (an empty one too: the reason is
    optional), so the page thanks rather than asks again."""
    value = signing.dumps([optout.public_id.hex, 1] if answered else optout.public_id.hex, salt=GOODBYE_SALT)
    return reverse("optout-result", args=[token, value])


def read_result(value: str, salt: str, purpose: Purpose) -> Any:
    """What a signed result-page value carries (Post/Redirect/Get):
    `ExpiredLink` once it is older than GOODBYE_MAX_AGE, `BadLink` when it is
    not genuine, both for `purpose`'s friendly pages."""
    try:
        return signing.loads(value, salt=salt, max_age=GOODBYE_MAX_AGE)
    except signing.SignatureExpired:
        raise ExpiredLink(purpose) from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise BadLink(purpose) from None


def read_goodbye(value: str) -> tuple[str, bool]:
    """The opt-out public id a goodbye path carries, and whether the reason
    form was answered (`read_result`'s errors)."""
    carried = read_result(value, GOODBYE_SALT, Purpose.UNSUBSCRIBE)
    if isinstance(carried, list) and len(carried) == 2:
        return str(carried[0]), bool(carried[1])
    return str(carried), False


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


@dataclass(frozen=True)
class _Opener:
    """How a purpose's payload becomes what it names, and whose language that is."""

    find: Callable[[dict[str, Any]], Any]
    language: Callable[[Any], str]


OPENERS: dict[Purpose, _Opener] = {
    Purpose.CONFIRM: _Opener(lambda p: signups.find_signup(p.get("p")), lambda signup: signup.language),
    Purpose.PREFERENCES: _Opener(lambda p: preferences.find_subscriber(p.get("s")), lambda s: s.language),
    Purpose.UNSUBSCRIBE: _Opener(
        lambda p: optouts.find_unsubscribe_target(p.get("s"), p.get("t")),
        lambda target: target.subscriber.language,
    ),
    Purpose.EMAIL_CHANGE: _Opener(
        lambda p: email_change.find_email_change(p.get("c")), lambda change: change.subscriber.language
    ),
    Purpose.OPTDOWN: _Opener(lambda p: optdown.find_record(p.get("r")), lambda r: r.subscriber.language),
}


def open_link(purpose: Purpose, token: str) -> tuple[Any, str]:
    """What a token names, and that person's language; `BadLink` (or
    `ExpiredLink`) when the token is not genuine or names nothing any more."""
    opener = OPENERS[purpose]
    found = opener.find(read_token(purpose, token))
    if found is None:
        raise BadLink(purpose)
    return found, opener.language(found)


def use_language_of(request: HttpRequest, language: str) -> None:
    """On a page about one person, their own language comes before the
    browser's, unless they chose one here (`?lang=` or the language cookie)."""
    if "lang" in request.GET or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def bad_link(request: HttpRequest, error: BadLink) -> HttpResponse:
    """A friendly page for a link that is expired, tampered or misdirected."""
    context = {"expired": isinstance(error, ExpiredLink), "purpose": str(error)}
    return render(request, "web/bad_link.html", context, status=400)


type View = Callable[..., HttpResponse]


def signed_link(purpose: Purpose, *, when_expired: View | None = None) -> Callable[[View], View]:
    """Open the `token` URL argument as `purpose` and call the view with what
    it names before it: `view(request, target, token, ...)` (the token too,
    for pages whose forms post back to the same link).

    `when_expired(request)` answers a genuine but expired link, when given
    (the preferences link offers a fresh one); otherwise it gets the bad-link page.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def opened(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                target, language = open_link(purpose, token)
            except ExpiredLink as error:
                return when_expired(request) if when_expired else bad_link(request, error)
            except BadLink as error:
                return bad_link(request, error)
            use_language_of(request, language)
            return view(request, target, token, *args, **kwargs)

        return opened

    return decorator
