"""The consent statement: the version each language shows now, any version
by its name, and the SHA-256 a consent record keeps of the text shown.

Marketers publish versions in the admin (`ConsentWording`). A language with
none shows the default below, whose version is DEFAULT_VERSION: change that
text only together with DEFAULT_VERSION.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from .models import ConsentWording

DEFAULT_VERSION = "2026-11-23"


@dataclass(frozen=True)
class Wording:
    """One consent statement as a person reads it."""

    language: str
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return consent_sha256(self.text)


def consent_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def wording_language(language: str | None) -> str:
    """One of the site's languages: `es-mx` reads the Spanish statement, `pt-BR` the Brazilian one."""
    codes = [code for code, _name in settings.LANGUAGES]
    tag = (language or "").lower().replace("_", "-")
    if tag in codes:
        return tag
    base = tag.split("-")[0]
    return base if base in codes else settings.LANGUAGE_CODE


def default_wording(language: str) -> Wording:
    with translation.override(language):
        text = gettext(
            "By signing up you agree to receive the emails you ticked above. We keep "
            "a record of this consent. Every email has a link to change your "
            "preferences or unsubscribe, at any time."
        )
    return Wording(language, DEFAULT_VERSION, text)


def current_wording(language: str | None) -> Wording:
    """What the sign-up page shows now in this language."""
    language = wording_language(language)
    latest = ConsentWording.objects.filter(language=language).order_by("-number").first()
    if latest is None:
        return default_wording(language)
    return Wording(language, latest.version, latest.text)


def wording_for(language: str, version: str) -> Wording | None:
    """A version that was shown in this language, current or not; None when
    there is no such version."""
    if language != wording_language(language):
        return None
    if version == DEFAULT_VERSION:
        return default_wording(language)
    stored = ConsentWording.objects.filter(language=language, version=version).first()
    return None if stored is None else Wording(language, stored.version, stored.text)
