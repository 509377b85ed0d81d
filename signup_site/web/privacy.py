"""The preferences page's privacy buttons: download my data, delete me.

Both act for the person whose preferences session this is, and only on a POST
(a button), never cached. Both need that session to have started from a
recent link (PRIVACY_LINK_MAX_AGE_MINUTES): a link from an old email may be
in someone else's hands, so an older one gets "we sent you a fresh link".

Deleting ends the session and answers 303 to `deleted/<signed>/` (Post/
Redirect/Get), a page that needs no session and names no one: the signed
value says only "a deletion happened here, lately" and in which language, so
the page cannot be reached by guessing, yet reloads, switches language and
survives Back.
"""

import json

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from signup_site.campaign import preferences as prefs
from signup_site.campaign import privacy
from signup_site.campaign.models import Subscriber

from .links import BadLink, ExpiredLink, Purpose, bad_link, read_result, site_links, use_language_of
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
    # The page speaks the person's language still: the one thing it carries.
    signed = signing.dumps({"l": subscriber.language}, salt=DELETED_SALT)
    return HttpResponseRedirect(reverse("prefs-deleted", args=[signed]), status=303)


DELETED_SALT = "signup_site.web.privacy.deleted"


@never_cache
@require_http_methods(["GET", "HEAD"])
def deleted(request: HttpRequest, signed: str) -> HttpResponse:
    """ "Your data is being deleted", for a day after the button; then the sign-up page."""
    try:
        carried = read_result(signed, DELETED_SALT, Purpose.PREFERENCES)
    except ExpiredLink:
        return redirect("signup-form")
    except BadLink as error:
        return bad_link(request, error)
    language = carried.get("l") if isinstance(carried, dict) else None
    if isinstance(language, str) and language in dict(settings.LANGUAGES):
        use_language_of(request, language)
    return render(request, "web/privacy_deleted.html")
