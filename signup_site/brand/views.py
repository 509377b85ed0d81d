"""The brand's two files: the logo (from the database, so every web machine
serves the same one) and the accent stylesheet (so the strict CSP,
`style-src 'self'`, needs no inline style). Both URLs name their content, so
both are cached for a year."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from .brand import current_brand, logo_bytes
from .colours import colour_problem, darken, normalise_colour, rgb

A_YEAR = "public, max-age=31536000, immutable"
# Nothing the file could contain may run or load anything, even opened on its own.
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _immutable(response: HttpResponse, etag: str) -> HttpResponse:
    response["Cache-Control"] = A_YEAR
    response["ETag"] = f'"{etag}"'
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # emails load the logo from mail clients
    return response


@require_safe
def logo(request: HttpRequest, sha: str, extension: str) -> HttpResponse:
    """The logo whose SHA-256 starts with `sha`. An older logo's URL (in an
    email sent before the logo changed) redirects to the current one."""
    found = logo_bytes(sha)
    if found is None:
        current = current_brand().logo_path
        return HttpResponseRedirect(current) if current else HttpResponseNotFound()
    data, content_type = found
    if request.headers.get("If-None-Match") == f'"{sha}"':
        return _immutable(HttpResponse(status=304), sha)
    return _immutable(HttpResponse(data, content_type=content_type), sha)


@require_safe
def accent(request: HttpRequest, colour: str) -> HttpResponse:
    """`:root { --brand-accent: ... }` and the rules that use it, for any
    colour that passes the contrast check (the URL is the content)."""
    normal = normalise_colour(colour)
    if normal is None or normal != f"#{colour}" or colour_problem(normal):
        return HttpResponseNotFound()
    hover = darken(normal)
    context = {
        "accent": normal,
        "hover": hover,
        "accent_rgb": ", ".join(map(str, rgb(normal))),
        "hover_rgb": ", ".join(map(str, rgb(hover))),
    }
    css = render_to_string("brand/accent.css", context)
    return _immutable(HttpResponse(css, content_type="text/css; charset=utf-8"), normal[1:])
