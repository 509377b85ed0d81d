"""Loaded with `-p` (see pyproject.toml) before pytest-django reads the
settings: the environment the test suite runs in."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "false")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the browser tests make from that thread are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# One delivery slot: the journeys see their calls reach Campaign in one order.
# The slots' own tests (tests/test_delivery_slots.py) ask for more.
os.environ.setdefault("OUTBOX_DELIVERY_SLOTS", "1")
# Tests call the worker command in their own process: left at the suite's priority.
os.environ.setdefault("OUTBOX_WORKER_NICE", "0")
