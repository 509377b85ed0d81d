"""The consent statement a sign-up form showed, carried in the form.

A marketer may publish a new version while someone has the page open: the
consent record must keep the text that person read, not the one current when
they press the button. So the page carries the version it showed, signed
(nobody may claim to have read a version they were not shown, or one that
never existed), and the POST hashes that version's text.
"""

from django.core import signing

from signup_site.content.consent import Wording, current_wording, wording_for

SALT = "signup_site.web.consent-shown"


def sign_shown(wording: Wording) -> str:
    return signing.dumps([wording.language, wording.version], salt=SALT)


class UnknownWording(Exception):
    """The form names a statement that was never shown: tampered, or signed by a retired key."""


def shown_wording(signed: str | None, language: str | None) -> Wording:
    """The statement the form showed. A form that carries none (the
    embeddable form, a client posting by hand) showed what is current."""
    if not signed:
        return current_wording(language)
    try:
        shown_language, version = signing.loads(signed, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise UnknownWording from exc
    wording = wording_for(str(shown_language), str(version))
    if wording is None:
        raise UnknownWording
    return wording
