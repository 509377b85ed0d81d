"""The WSGI application: gunicorn's `signup_site.wsgi:application`, and
runserver's (WSGI_APPLICATION).

Django's own request reads the Content-Type while it is being built, before
any middleware or error page can answer, so what goes wrong there is the WSGI
server's bare 500. Three inputs did: a charset Python knows but that is not a
text encoding (`text/plain; charset=rot13`, `base64`, `zlib`, `undefined`,
`idna`) with any query string or multipart form; any charset with a query
string of more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (the query string is
parsed at once when a charset is given); and a header Django refuses to parse
(over 10,000 characters, a NUL in the charset, an RFC 2231 value in a codec
that is not text). `SiteRequest` reads the header the same way but never fails.
"""

import codecs
import os
from typing import Any

import django
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "signup_site.settings")


def decodes_text(charset: str) -> bool:
    """Whether `charset` names a codec that turns any bytes into text."""
    try:
        codecs.lookup(charset)
        "".encode(charset)
        bytes(range(256)).decode(charset, "replace")
    except (LookupError, ValueError):  # UnicodeError is a ValueError
        return False
    return True


class SiteRequest(WSGIRequest):
    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        try:
            self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        except (LookupError, ValueError):
            # Unreadable: a body of no known type, which no form reads.
            self.content_type, self.content_params = "application/octet-stream", {}
        charset = self.content_params.get("charset")
        if charset and decodes_text(charset):
            # Not through the `encoding` setter: it parses the query string at once.
            self._encoding = charset


class SiteHandler(WSGIHandler):
    request_class = SiteRequest


django.setup(set_prefix=False)
application = SiteHandler()
