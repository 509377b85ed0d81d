"""How the dashboard writes durations and rates."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()
NO_FIGURE = "\u2013"  # an en dash


@register.filter
def duration(seconds: float | None) -> str:
    """`42 s`, `8 min`, `3.5 h`, `2.1 d`; a dash for no figure."""
    if seconds is None:
        return NO_FIGURE
    for unit, size, label in (("d", 86400, _("d")), ("h", 3600, _("h")), ("min", 60, _("min"))):
        if seconds >= size * (1 if unit == "min" else 1.5):
            return f"{number_format(round(seconds / size, 1))} {label}"
    seconds_unit = _("s")
    return f"{number_format(round(seconds, 1))} {seconds_unit}"


@register.filter
def percent(ratio: float | None) -> str:
    return NO_FIGURE if ratio is None else f"{number_format(round(ratio * 100, 1))} %"
