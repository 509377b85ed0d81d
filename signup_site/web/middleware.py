from typing import Literal, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Language from `?lang=`, then the stored preference (the language
    cookie), then Accept-Language. A `?lang=` choice is remembered in the cookie.
    Pages about one subscriber fall back to that subscriber's own language
    (see `web.links.use_language_of`)."""

    def process_request(self, request: HttpRequest) -> None:
        requested = request.GET.get("lang", "")
        if requested and requested in dict(settings.LANGUAGES):
            translation.activate(requested)
            request.LANGUAGE_CODE = requested
            request.language_chosen = requested  # type: ignore[attr-defined]
        else:
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        if chosen := getattr(request, "language_chosen", None):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=True,
                samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
            )
        return response
