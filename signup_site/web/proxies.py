"""The client's address behind the site's own reverse proxies.

One function for everything that records or counts by address: the consent
evidence of a sign-up, and the admin's login lockout (django-axes calls it
through AXES_CLIENT_IP_CALLABLE).
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting as many X-Forwarded-For hops as configured
    (TRUSTED_PROXY_COUNT); the connection's own address when none are."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None
