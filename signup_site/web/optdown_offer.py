"""The opt-down part of the unsubscribe and preferences pages: the choices
offered, in the words their legends and buttons show. The same words are
kept as evidence when a button is pressed, so they are made here, once."""

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from signup_site.campaign import optdown
from signup_site.campaign.delivery import active_optouts
from signup_site.campaign.models import Subscriber


def frequency_legend() -> str:
    return _("How often would you like our emails?")


def pause_legend(paused: bool) -> str:
    return _("Make the break longer") if paused else _("Take a break from all our emails")


def pause_button(days: int, paused: bool) -> str:
    if paused:
        return ngettext("%(days)s more day", "%(days)s more days", days) % {"days": days}
    return ngettext("Pause for %(days)s day", "Pause for %(days)s days", days) % {"days": days}


def frequency_wording(value: str) -> str:
    """What the person read when pressing a frequency's button: legend, then button."""
    return f"{frequency_legend()} {optdown.frequency_label(value)}"


def pause_wording(days: int, paused: bool) -> str:
    return f"{pause_legend(paused)} {pause_button(days, paused)}"


def offer_context(subscriber: Subscriber) -> dict[str, object]:
    """What the opt-down part of a page shows: the choices, and where the person is."""
    paused = optdown.active_pause(subscriber)
    # Unsubscribed from all: there is nothing to pause.
    stopped = active_optouts(subscriber).filter(topic__isnull=True).exists()
    pauses = [] if stopped else optdown.offered_pauses()
    return {
        "frequency_legend": frequency_legend(),
        "frequencies": [(value, optdown.frequency_label(value)) for value in optdown.offered_frequencies()],
        "current_frequency": subscriber.email_frequency,
        "pause_legend": pause_legend(paused is not None),
        "pauses": [(days, pause_button(days, paused is not None)) for days in pauses],
        "paused": paused,
        "resume_date": optdown.resume_date(paused, get_language()) if paused else "",
    }
