"""System checks: the BRAND_* first-boot values are usable, and the brand
has what every email needs (`manage.py check`)."""

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError

from .colours import colour_problem
from .models import Brand


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
    # The row once it exists (before `migrate`: the first-boot values).
    with suppress(DatabaseError):
        row = Brand.objects.filter(pk=Brand.SINGLETON_PK).first()
        if row is not None:
            defaults = {**defaults, "postal_address": row.postal_address, "privacy_url": row.privacy_url}
    if not settings.DEBUG and not (defaults["postal_address"] and defaults["privacy_url"]):
        problems.append(
            Warning(
                "The brand has no postal address or privacy link (BRAND_POSTAL_ADDRESS, "
                "BRAND_PRIVACY_URL, or the admin's Brand): emails go out without them, and "
                "CAN-SPAM requires a postal address",
                id="brand.W001",
            )
        )
    return problems
