"""Where the brand is cached: Django's cache, one key, dropped on every save.

With the default per-process cache, other processes see a change within
BRAND_CACHE_SECONDS; with a shared cache (Redis, database) at once.
"""

from django.core.cache import cache

CACHE_KEY = "signup_site.brand.v1"


def forget_brand() -> None:
    cache.delete(CACHE_KEY)
