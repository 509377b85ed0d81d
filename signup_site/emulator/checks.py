from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def emulator_only_in_debug(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The emulators accept any credentials: never in production."""
    if settings.EMULATOR_ENABLED and not settings.DEBUG:
        return [
            Error(
                "CAMPAIGN_EMULATOR is on while DJANGO_DEBUG is off.",
                hint="The Campaign emulators are for tests and development only.",
                id="emulator.E001",
            )
        ]
    return []
