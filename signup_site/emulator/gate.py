from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse


def emulator_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve only when the emulator is enabled and DEBUG is on (checked per
    request: gunicorn runs no system checks)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (settings.EMULATOR_ENABLED and settings.DEBUG):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
