"""System check: the BRAND_* first-boot values are usable (`manage.py check`)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from .colours import colour_problem


@register("brand")
def check_brand_defaults(**kwargs: Any) -> list[CheckMessage]:
    defaults = settings.BRAND_DEFAULTS
    problems: list[CheckMessage] = []
    if problem := colour_problem(defaults["primary_colour"]):
        problems.append(Error(f"BRAND_PRIMARY_COLOUR: {problem}", id="brand.E001"))
    checks: list[tuple[str, str, Callable[[str], None]]] = [
        ("BRAND_SENDER_EMAIL", "sender_email", EmailValidator()),
        ("BRAND_REPLY_TO", "reply_to", EmailValidator()),
        ("BRAND_PRIVACY_URL", "privacy_url", URLValidator()),
        ("BRAND_TERMS_URL", "terms_url", URLValidator()),
    ]
    for variable, key, validator in checks:
        if defaults[key]:
            try:
                validator(defaults[key])
            except ValidationError:
                problems.append(Error(f"{variable} is not valid: {defaults[key]!r}", id="brand.E002"))
    if not settings.DEBUG and not (defaults["postal_address"] and defaults["privacy_url"]):
        problems.append(
            Warning(
                "BRAND_POSTAL_ADDRESS or BRAND_PRIVACY_URL is empty: until the brand is completed "
                "in the admin, emails go out without them (CAN-SPAM requires a postal address)",
                id="brand.W001",
            )
        )
    return problems
