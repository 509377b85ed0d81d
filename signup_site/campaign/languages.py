"""The site's languages: their codes and the name each gives itself."""

from django.conf import settings
from django.utils.translation import get_language, get_language_info

# How each language names itself in the switcher and the sign-up form, so a
# person finds theirs whatever the page's language. Django's own names differ
# in details (lower-case "español", "Português Brasileiro", a vowelled
# "العربيّة"); these are the forms the brands' own sites use.
SELF_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt-br": "Português (Brasil)",
    "it": "Italiano",
    "ar": "العربية",
}


def site_language(tag: str | None) -> str:
    """The site's code for a language tag ("pt-BR", "pt_br" -> "pt-br"; "es-ES" -> "es"),
    or "" when the site does not speak it."""
    codes = [code for code, _name in settings.LANGUAGES]
    tag = (tag or "").strip().lower().replace("_", "-")
    if tag in codes:
        return tag
    base = tag.split("-")[0]
    return base if base in codes else ""


def current_language() -> str:
    """The active language as one of the site's codes (the default one outside a request)."""
    return site_language(get_language()) or settings.LANGUAGE_CODE


def self_name(code: str) -> str:
    """A language named in itself: "Français" for "fr"."""
    return SELF_NAMES.get(code) or get_language_info(code)["name_local"]
