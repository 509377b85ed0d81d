"""The consent statement shown on the sign-up form, and its version.

Change the wording only together with CONSENT_VERSION: every consent record
keeps the version and a SHA-256 of the exact text shown, in the language shown.
"""

import hashlib

from django.utils.translation import gettext

CONSENT_VERSION = "2026-11-23"


def consent_text() -> str:
    return gettext(
        "By signing up you agree to receive the emails you ticked above. We keep "
        "a record of this consent. Every email has a link to change your "
        "preferences or unsubscribe, at any time."
    )


def consent_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
