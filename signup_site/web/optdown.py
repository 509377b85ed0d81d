"""Fewer emails, or a break, instead of unsubscribing (`campaign.optdown`).

Offered on the unsubscribe page, before its button, and on the preferences
page: each choice is a one-click POST (never a GET: link scanners click
everything), answered 303 to a result page one can reload (Post/Redirect/Get).
The result page's URL carries a signed value naming the choice's record
(`Purpose.OPTDOWN`); its Undo button POSTs to the same value. The unsubscribe
page's buttons are credentialed by the link's token, as the page itself is
(so exempt from CSRF like it); the preferences page's by its session.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from signup_site.campaign import optdown
from signup_site.campaign import preferences as prefs
from signup_site.campaign.models import OptDownRecord, Subscriber
from signup_site.campaign.optouts import UnsubscribeTarget

from .links import Purpose, make_token, signed_link, site_links
from .optdown_offer import frequency_wording, pause_wording
from .preferences import SUBSCRIBER_KEY, offer_fresh_link
from .proxies import client_ip

# Where a choice was made, as the evidence keeps it: the page, never its token.
FROM_UNSUBSCRIBE = "/unsubscribe/"
FROM_PREFERENCES = "/preferences/edit/"
Kind = OptDownRecord.Kind


def _shown(request: HttpRequest, wording: str, source: str) -> optdown.Shown:
    return optdown.Shown(
        wording=wording,
        language=get_language(),
        source=source,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )


def _to_result(record: OptDownRecord) -> HttpResponse:
    token = make_token(Purpose.OPTDOWN, r=record.public_id.hex)
    return HttpResponseRedirect(reverse("optdown-result", args=[token]), status=303)


def _choose(request: HttpRequest, subscriber: Subscriber, source: str) -> OptDownRecord | None:
    """Act on the button pressed: a frequency, or a pause's days."""
    if "frequency" in request.POST:
        value = request.POST["frequency"]
        shown = _shown(request, frequency_wording(value), source)
        return optdown.choose_frequency(subscriber, value, shown)
    days = request.POST.get("days", "")
    if days.isdigit():
        wording = pause_wording(int(days), optdown.active_pause(subscriber) is not None)
        return optdown.pause(subscriber, int(days), _shown(request, wording, source))
    return None


@csrf_exempt
@never_cache
@require_POST
@signed_link(Purpose.UNSUBSCRIBE)
def from_unsubscribe(request: HttpRequest, target: UnsubscribeTarget, token: str) -> HttpResponse:
    record = _choose(request, target.subscriber, FROM_UNSUBSCRIBE)
    if record is None:
        # Not a choice offered (a stale page, a forged value): nothing changed.
        return HttpResponseRedirect(reverse("optout-page", args=[token]), status=303)
    return _to_result(record)


@never_cache
@require_POST
def from_preferences(request: HttpRequest) -> HttpResponse:
    subscriber = prefs.find_subscriber(request.session.get(SUBSCRIBER_KEY))
    if subscriber is None:
        return offer_fresh_link(request)
    if "resume" in request.POST:
        record = optdown.resume_now(subscriber, _shown(request, _("Resume my emails now"), FROM_PREFERENCES))
    else:
        record = _choose(request, subscriber, FROM_PREFERENCES)
    if record is None:
        messages.info(request, _("Nothing changed."))
        return HttpResponseRedirect(reverse("prefs-edit"), status=303)
    return _to_result(record)


@never_cache
@require_GET
@signed_link(Purpose.OPTDOWN)
def result(request: HttpRequest, record: OptDownRecord, token: str) -> HttpResponse:
    subscriber = record.subscriber
    paused = optdown.active_pause(subscriber)
    context = {
        "record": record,
        "token": token,
        "kind": record.kind,
        "frequency": optdown.frequency_label(subscriber.email_frequency),
        "paused": paused,
        "resume_date": optdown.resume_date(paused, get_language()) if paused else "",
        "undoable": optdown.undoable(record),
        "unsubscribe_url": site_links.unsubscribe_url(subscriber),
    }
    return render(request, "web/optdown_done.html", context)


@csrf_exempt
@never_cache
@require_POST
@signed_link(Purpose.OPTDOWN)
def undo(request: HttpRequest, record: OptDownRecord, token: str) -> HttpResponse:
    # The signed value is the credential, as the unsubscribe link's is.
    undone = optdown.undo(record, _shown(request, _("Undo"), record.source))
    if undone is None:
        return HttpResponseRedirect(reverse("optdown-result", args=[token]), status=303)
    return _to_result(undone)
