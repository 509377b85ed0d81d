"""Where the brand is cached: each process's own memory (the "local" cache),
one key, dropped on every save. Other processes see a change within
BRAND_CACHE_SECONDS.
"""

from django.core.cache import BaseCache, caches

CACHE_KEY = "signup_site.brand.v1"


def brand_cache() -> BaseCache:
    return caches["local"]


def forget_brand() -> None:
    brand_cache().delete(CACHE_KEY)
