"""Error pages in the site's look and the person's language, never a stack trace."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
