"""Campaign backends, chosen by the CAMPAIGN_BACKEND setting and loaded lazily."""

from functools import cache

from django.utils.module_loading import import_string

from .. import config
from .base import CampaignBackend


@cache
def load_backend(path: str) -> CampaignBackend:
    """One instance of the backend at `path` (an alias or a dotted path) per process."""
    backend_class = import_string(config.BACKEND_ALIASES.get(path, path))
    backend: CampaignBackend = backend_class()
    return backend


def get_backend() -> CampaignBackend:
    """The configured backend; one instance per process (it may hold a token)."""
    return load_backend(config.campaign_config().backend)


def reset_backends() -> None:
    """Forget loaded backends and parsed configuration (tests switch CAMPAIGN_BACKEND)."""
    load_backend.cache_clear()
    config.forget()
