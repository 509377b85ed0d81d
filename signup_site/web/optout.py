"""The opt-out page, and RFC 8058 one-click unsubscribe.

GET and HEAD only describe. A POST acts at once on an explicit choice: the
page's `scope` (`all`, or `topic` on a link that names one) or the RFC 8058
body `List-Unsubscribe=One-Click`; any other POST (empty, as a link scanner
or a prefetcher may send) changes nothing and shows the page again. The
signed token in the URL is
the credential, so the view is exempt from CSRF: a mail client's one-click
POST carries no cookie and no CSRF token, and a forged cross-site POST would
need the token, which would let it POST directly anyway.

Every result is a GET page (Post/Redirect/Get): the page's POST, the
reason and the undo answer 303 to `done/<signed opt-out>/`, which shows what
became of that opt-out now, so it can be reloaded, switched to another
language and reached again with Back.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from signup_site.campaign import optouts
from signup_site.campaign.addresses import mask_address
from signup_site.campaign.models import OptOut
from signup_site.campaign.optouts import UnsubscribeTarget

from .forms import OptOutReasonForm
from .links import (
    BadLink,
    ExpiredLink,
    Purpose,
    bad_link,
    goodbye_path,
    link_issued,
    max_age,
    read_goodbye,
    signed_link,
)
from .optdown_offer import offer_context
from .preferences import offer_fresh_link, start_session


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signed_link(Purpose.UNSUBSCRIBE)
def page(request: HttpRequest, target: UnsubscribeTarget, token: str) -> HttpResponse:
    subscriber, topic = target.subscriber, target.topic
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        # RFC 8058: answer 200 (never a redirect) with no further interaction.
        if target.topic_gone:
            # The click asked to leave one list, which is gone: stopping all
            # email instead would take away what the person never withdrew. An
            # error would only make the mail provider retry or distrust the header.
            return HttpResponse(
                "That list no longer exists: nothing was changed.\n", content_type="text/plain; charset=utf-8"
            )
        optouts.opt_out(subscriber, topic, OptOut.Via.ONE_CLICK)
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    scope = request.POST.get("scope") if request.method == "POST" else None
    if scope == "all" or (scope == "topic" and topic is not None):
        optout = optouts.opt_out(subscriber, topic if scope == "topic" else None, OptOut.Via.PAGE)
        return HttpResponseRedirect(goodbye_path(token, optout), status=303)
    context = {
        "masked_email": mask_address(subscriber.email),
        "topic": topic,
        "topic_gone": target.topic_gone,
        "token": token,
        "no_choice": request.method == "POST",
        "optdown": {**offer_context(subscriber), "action": reverse("optout-optdown", args=[token])},
    }
    return render(request, "web/optout.html", context)


@never_cache
@require_http_methods(["GET", "HEAD"])
@signed_link(Purpose.UNSUBSCRIBE)
def result(request: HttpRequest, target: UnsubscribeTarget, token: str, result: str) -> HttpResponse:
    """The goodbye page, as it stands now: unsubscribed (with the reason form,
    or thanks once a reason came), or subscribed again after an undo."""
    try:
        public_id, answered = read_goodbye(result)
        optout = optouts.find_own_optout(target.subscriber, public_id)
    except ExpiredLink:
        return redirect("optout-page", token)
    except BadLink as error:
        return bad_link(request, error)
    if optout is None:
        return bad_link(request, BadLink(Purpose.UNSUBSCRIBE))
    return show_result(request, optout, token, OptOutReasonForm(), answered=answered)


def show_result(
    request: HttpRequest, optout: OptOut, token: str, form: OptOutReasonForm, *, answered: bool = False
) -> HttpResponse:
    thanked = answered or bool(optout.reason or optout.reason_text)
    context = {
        "optout": optout,
        "token": token,
        "form": form,
        "thanked": thanked,
        # The language switcher's link: this page again, never a POST-only URL.
        "switch_path": goodbye_path(token, optout, answered=thanked),
    }
    template = "web/optout_undone.html" if optout.ended_at else "web/optout_done.html"
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "HEAD"])
@signed_link(Purpose.UNSUBSCRIBE)
def preferences(request: HttpRequest, target: UnsubscribeTarget, token: str) -> HttpResponse:
    """ "Change what you receive instead": into this person's own preferences,
    as their preferences link would, if the email it came in is recent enough
    for one (PREFERENCES_LINK_MAX_AGE_DAYS); a GET that changes nothing."""
    issued = link_issued(Purpose.UNSUBSCRIBE, token) or 0.0
    if timezone.now().timestamp() - issued > max_age(Purpose.PREFERENCES).total_seconds():
        return offer_fresh_link(request)
    start_session(request, target.subscriber, issued)
    return redirect("prefs-edit")


def goodbye_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The goodbye page's forms name the opt-out they act on: find it among
    this person's own, or answer the bad-link page."""

    @wraps(view)
    def with_optout(request: HttpRequest, target: UnsubscribeTarget, token: str) -> HttpResponse:
        optout = optouts.find_own_optout(target.subscriber, request.POST.get("optout"))
        if optout is None:
            return bad_link(request, BadLink(Purpose.UNSUBSCRIBE))
        return view(request, optout, token)

    return with_optout


@never_cache
@require_POST
@signed_link(Purpose.UNSUBSCRIBE)
@goodbye_form
def reason(request: HttpRequest, optout: OptOut, token: str) -> HttpResponse:
    form = OptOutReasonForm(request.POST)
    if not form.is_valid():
        return show_result(request, optout, token, form)
    optouts.record_reason(optout, form.cleaned_data["reason"], form.cleaned_data["reason_text"])
    return HttpResponseRedirect(goodbye_path(token, optout, answered=True), status=303)


@never_cache
@require_POST
@signed_link(Purpose.UNSUBSCRIBE)
@goodbye_form
def undo(request: HttpRequest, optout: OptOut, token: str) -> HttpResponse:
    optouts.undo_opt_out(optout)
    return HttpResponseRedirect(goodbye_path(token, optout), status=303)
