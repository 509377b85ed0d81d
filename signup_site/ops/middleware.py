"""Request latency per page, for /metrics (see `signup_site.ops.metrics`)."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .metrics import observe_request


class RequestMetricsMiddleware:
    """Times each request and records it under its URL name (`signup-form`,
    `admin:index`), never its path: paths carry link tokens. A request that
    matched no URL is recorded as `unmatched`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        observe_request(view, request.method or "", response.status_code, time.perf_counter() - started)
        return response
