"""Campaign backends, chosen by the CAMPAIGN_BACKEND setting and loaded lazily."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CampaignBackend

ALIASES = {
    "local": "signup_site.campaign.backends.local.LocalBackend",
    "acs": "signup_site.campaign.backends.acs.ACSBackend",
    "v8": "signup_site.campaign.backends.v8.V8Backend",
}


@cache
def _load(path: str) -> CampaignBackend:
    backend_class = import_string(ALIASES.get(path, path))
    backend: CampaignBackend = backend_class()
    return backend


def get_backend() -> CampaignBackend:
    """The configured backend; one instance per process (it may hold a token)."""
    return _load(settings.CAMPAIGN_BACKEND)


def reset_backends() -> None:
    """Forget loaded backends (tests switch CAMPAIGN_BACKEND)."""
    _load.cache_clear()
