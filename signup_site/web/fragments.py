"""Blank form pages rendered once and kept, with the per-request parts spliced in.

Rendering the sign-up page (crispy forms' nested templates) costs several
times what the rest of the request does, and a blank page is the same for
everyone who reads it in one language. So it is rendered once per language
into each process's memory (the "local" cache), with marks where the
per-request values go: the CSRF token and the CSP nonce. Every request gets
its own values in place of the marks; the kept HTML never holds one.

A save or delete of what a page shows (topics and their translations, the
consent wording, the brand) or a change of settings forgets every kept page
of this process at once, at the save and again after its commit (a request
that read the old rows meanwhile must not keep them); other processes render
afresh within PAGE_CACHE_SECONDS, as they read the brand afresh within
BRAND_CACHE_SECONDS. A form sent from a page that went stale meanwhile is
checked against the current topics and the wording it names, like one sent
from a page left open.
"""

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.urls import get_script_prefix
from django.utils.csp import CONTEXT_KEY as CSP_NONCE
from django.utils.translation import get_language

PREFIX = "signup_site.web.fragments"
GENERATION_KEY = f"{PREFIX}.generation"
# Marks are plain word characters, so escaping leaves them as they are.
CSRF_MARK = "signup_site_mark_csrf_token"
NONCE_MARK = "signup_site_mark_csp_nonce"
# What the templates read in place of the per-request values while a page is kept.
MARKED_CONTEXT = {"csrf_token": CSRF_MARK, CSP_NONCE: NONCE_MARK}


def fragment_cache() -> BaseCache:
    return caches["local"]


def _generation() -> str:
    cache = fragment_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # First use, or evicted: a new one, so no page kept before can be read.
        generation = uuid.uuid4().hex
        cache.set(GENERATION_KEY, generation, None)
    return str(generation)


def fragment_key(name: str, variant: str = "") -> str:
    """The key of page `name` in the active language, for the kept pages' generation."""
    return f"{PREFIX}:{_generation()}:{name}:{variant}:{get_language()}:{get_script_prefix()}"


def kept(key: str) -> Any:
    return fragment_cache().get(key)


def keep(key: str, value: Any) -> None:
    fragment_cache().set(key, value, settings.PAGE_CACHE_SECONDS)


def _forget_now() -> None:
    fragment_cache().set(GENERATION_KEY, uuid.uuid4().hex, None)


def forget_pages(**_signal: Any) -> None:
    """Forget every page this process keeps (a signal receiver too)."""
    _forget_now()
    # Only inside a transaction: outside one there is nothing to wait for
    # (and asking would open a database connection).
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_forget_now)


def spliced(request: HttpRequest, html: str) -> HttpResponse:
    """A kept page with this request's values in place of its marks."""
    if CSRF_MARK in html:
        # get_token, as {% csrf_token %} does, also sets the CSRF cookie.
        html = html.replace(CSRF_MARK, get_token(request) or "")
    if NONCE_MARK in html:
        # A LazyNonce is false until first read: test for None, not truth.
        nonce = get_nonce(request)
        html = html.replace(NONCE_MARK, "" if nonce is None else str(nonce))
    return HttpResponse(html)
