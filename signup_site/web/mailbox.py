"""The development mailbox: an email backend that keeps every message as an
.eml file, and the pages at /dev/mailbox/ that show them (DEBUG only).

Files rather than a table, so the web server and the task worker (separate
processes) share one mailbox without a development-only model in the schema.
"""

import email
import email.policy
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage as ParsedMessage
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

NAME = re.compile(r"^[0-9]{20}-[0-9a-f]{32}\.eml$")


def mailbox_dir() -> Path:
    return Path(settings.MAILBOX_DIR)


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex}.eml"
            temporary = folder / (name + ".part")
            temporary.write_bytes(message.message().as_bytes())
            temporary.rename(folder / name)  # readers never see half a file
        return len(email_messages)


@dataclass(frozen=True)
class StoredEmail:
    id: str
    message: ParsedMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def date(self) -> str:
        return str(self.message["Date"] or "")

    def headers(self) -> list[tuple[str, str]]:
        return [(key, str(value)) for key, value in self.message.items()]

    def body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    @property
    def body_text(self) -> str:
        return self.body("plain")

    def html_fragment(self) -> str:
        """The inside of the HTML part's <body>, to show within the mailbox page."""
        html = self.body("html")
        match = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
        return match.group(1) if match else html


def _read(path: Path) -> StoredEmail:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return StoredEmail(id=path.stem, message=parsed)


def list_emails() -> list[StoredEmail]:
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    paths = sorted((p for p in folder.iterdir() if NAME.match(p.name)), reverse=True)
    return [_read(path) for path in paths]


def get_email(email_id: str) -> StoredEmail | None:
    name = f"{email_id}.eml"
    if not NAME.match(name):
        return None
    path = mailbox_dir() / name
    return _read(path) if path.is_file() else None


# --- the pages ------------------------------------------------------------------------


def development_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 unless DEBUG (checked per request: the routes are always mounted)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def with_email_styles(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The site's CSP, plus the inline styles emails use: the mailbox shows
    emails as mail clients do."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        policy: dict[str, Any] = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
        return csp_override(policy)(view)(request, *args, **kwargs)

    return wrapped


@never_cache
@require_GET
@development_only
def mailbox_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/mailbox_list.html", {"emails": list_emails()})


@never_cache
@require_GET
@development_only
@with_email_styles
def mailbox_detail(request: HttpRequest, email_id: str) -> HttpResponse:
    stored = get_email(email_id)
    if stored is None:
        raise Http404
    return render(request, "web/mailbox_detail.html", {"email": stored})
