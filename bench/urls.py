"""The site's URLs and the bench's floor (bench/settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from signup_site.urls import handler400, handler404, handler500
from signup_site.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]


def floor(request: HttpRequest) -> HttpResponse:
    """Nothing but the middleware: what no page can be faster than."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench-floor"), *site_urlpatterns]
