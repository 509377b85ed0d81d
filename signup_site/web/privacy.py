"""The preferences page's privacy buttons: download my data, delete me.

Both act for the person whose preferences session this is, and only on a POST
(a button), never cached. Both need that session to have started from a
recent link (PRIVACY_LINK_MAX_AGE_MINUTES): a link from an old email may be
in someone else's hands, so an older one gets "we sent you a fresh link".
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from signup_site.campaign import preferences as prefs
from signup_site.campaign import privacy
from signup_site.campaign.models import Subscriber

from .links import site_links, use_language_of
from .preferences import LINK_ISSUED_KEY, SUBSCRIBER_KEY, offer_fresh_link


def _person(request: HttpRequest) -> Subscriber | None:
    subscriber = prefs.find_subscriber(request.session.get(SUBSCRIBER_KEY))
    if subscriber is not None:
        use_language_of(request, subscriber.language)
    return subscriber


def _reconfirm(request: HttpRequest, subscriber: Subscriber) -> HttpResponse | None:
    """None when the session's link is recent; else a fresh link is emailed
    (within the per-hour limit) and the page says so."""
    if privacy.link_is_fresh(request.session.get(LINK_ISSUED_KEY)):
        return None
    prefs.send_preferences_link(subscriber.email, site_links)
    context = {"minutes": settings.PRIVACY_LINK_MAX_AGE_MINUTES}
    return render(request, "web/privacy_fresh_link.html", context)


@never_cache
@require_POST
def download(request: HttpRequest) -> HttpResponse:
    """Everything the site holds about the person, as a JSON file."""
    subscriber = _person(request)
    if subscriber is None:
        return offer_fresh_link(request)
    if (answer := _reconfirm(request, subscriber)) is not None:
        return answer
    body = json.dumps(privacy.export_data(subscriber), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """GET says what deleting does; the POST of its button does it."""
    subscriber = _person(request)
    if subscriber is None:
        return offer_fresh_link(request)
    context = {"retention_days": settings.PRIVACY_EVIDENCE_RETENTION_DAYS}
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(request, "web/privacy_delete.html", context)
    if (answer := _reconfirm(request, subscriber)) is not None:
        return answer
    privacy.request_erasure(subscriber)
    request.session.flush()
    return render(request, "web/privacy_deleted.html", context)
