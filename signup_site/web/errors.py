"""Error pages in the site's look and the person's language, never a stack trace."""

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

# How long a person (or a load balancer) is asked to wait while our own
# database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 30


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 400}, status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the cause is our database being out
    of reach (a connection refused or lost): a passing outage, not a bug."""
    cause = sys.exc_info()[1]
    if isinstance(cause, OperationalError | InterfaceError):
        response = render(request, "web/error.html", {"status": 503}, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return render(request, "web/error.html", {"status": 500}, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form refused for a missing or stale CSRF cookie,
    nearly always because the browser blocks cookies or the page sat open for
    long. It says so, and leads back to the page the form was on: the
    Referer when it is this site's own (never another site's), else the
    address the form was sent to, which shows the form again."""
    referer = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure())
    back = referer if referer and safe else request.path
    return render(request, "web/csrf_failure.html", {"back": back}, status=403)


class FriendlyNotFoundMiddleware:
    """Under DEBUG too, a page that is not there is the branded, translated
    404 people see in production, not Django's technical page listing every
    URL pattern (`make run` is where people try the site).
    DJANGO_TECHNICAL_404=true brings the technical page back for debugging.

    A URL no pattern matches never reaches a view (`request.resolver_match`
    stays None), so that 404 is caught on its way out; an Http404 a view
    raises, in `process_exception`. A view's own 404 response (a logo that
    is not there) is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and self._friendly()
            and getattr(request, "resolver_match", None) is None
        ):
            return not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and self._friendly():
            return not_found(request, exception)
        return None

    @staticmethod
    def _friendly() -> bool:
        # Without DEBUG, Django renders handler404 itself.
        return settings.DEBUG and not settings.TECHNICAL_404
