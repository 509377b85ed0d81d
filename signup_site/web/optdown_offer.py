"""The opt-down part of the unsubscribe and preferences pages: the choices
offered, in the words their buttons show (kept as evidence when pressed)."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from signup_site.campaign import optdown
from signup_site.campaign.delivery import active_optouts
from signup_site.campaign.models import Subscriber


def frequency_wording(value: str) -> str:
    """The button's words for a frequency, as shown (in the active language)."""
    return _("Fewer emails: %(frequency)s") % {"frequency": optdown.frequency_label(value)}


def pause_wording(days: int) -> str:
    return _("Pause all our emails for %(days)d days") % {"days": days}


def offer_context(subscriber: Subscriber) -> dict[str, object]:
    """What the opt-down part of a page shows: the choices, and where the person is."""
    paused = optdown.active_pause(subscriber)
    # Unsubscribed from all: there is nothing to pause.
    stopped = active_optouts(subscriber).filter(topic__isnull=True).exists()
    return {
        "frequencies": [
            (value, optdown.frequency_label(value), frequency_wording(value))
            for value in optdown.offered_frequencies()
        ],
        "current_frequency": subscriber.email_frequency,
        "pauses": [] if stopped else [(days, pause_wording(days)) for days in optdown.offered_pauses()],
        "paused": paused,
        "resume_date": optdown.resume_date(paused, get_language()) if paused else "",
    }
