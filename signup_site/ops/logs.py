"""Logs carry ids, never link tokens: Django's own log lines name the path
of a refused request ("Bad Request: /confirm/<token>/", "Forbidden (CSRF
cookie not set.): /unsubscribe/<token>/"), and a path here can carry a signed
link, which opens that person's pages until it expires."""

import logging
import re

# A Django `signing` value as our links carry it: payload:timestamp:signature,
# URL-safe base64 (web.links.make_token).
SIGNED_VALUE = re.compile(r"[A-Za-z0-9_-]{8,}:[A-Za-z0-9]{4,}:[A-Za-z0-9_-]{20,}")
REDACTED = "<token>"


class RedactLinkTokens(logging.Filter):
    """Replace every signed value in a record's message with `<token>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SIGNED_VALUE.search(message):
            record.msg, record.args = SIGNED_VALUE.sub(REDACTED, message), ()
        return True
