"""The admin's login lockout: django-axes, with a limit of its own per address.

Axes compares one number, `get_failures`, with one limit (AXES_FAILURE_LIMIT);
with several lockout parameters that number is the largest of their counts.
The site wants two limits: few failures for one username from one address,
more from one address whatever the usernames (colleagues behind one office
address mistype too). Axes' maintainers point to a handler for this
(jazzband/django-axes#661): this one reports an address past its own limit
as at the common one. Everything else is axes' database handler as it is.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _failures(attempts: QuerySet[Any]) -> int:
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


class AdminLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Failures of this username from this address, or the limit itself once
        the address alone has failed ADMIN_LOCKOUT_IP_FAILURES times."""
        # One queryset per AXES_LOCKOUT_PARAMETERS entry, in its order.
        by_username_and_ip, by_ip = map(_failures, self.get_user_attempts(request, credentials))
        if by_ip >= settings.ADMIN_LOCKOUT_IP_FAILURES:
            return max(by_username_and_ip, settings.AXES_FAILURE_LIMIT)
        return by_username_and_ip


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out login gets: 429 (not a 403: nothing is forbidden
    for good), in the admin's look, saying when to come back, Retry-After too.
    While locked out, a password is not even checked."""
    minutes = settings.ADMIN_LOCKOUT_MINUTES
    title = _("Too many failed login attempts")
    context = {**admin.site.each_context(request), "title": title, "minutes": minutes}
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
