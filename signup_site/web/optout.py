"""The opt-out page, and RFC 8058 one-click unsubscribe.

GET and HEAD only describe; POST acts at once. The signed token in the URL is
the credential, so the view is exempt from CSRF: a mail client's one-click
POST carries no cookie and no CSRF token, and a forged cross-site POST would
need the token, which would let it POST directly anyway.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from signup_site.campaign import optouts
from signup_site.campaign import preferences as prefs
from signup_site.campaign.models import OptOut, Subscriber, Topic
from signup_site.campaign.services import parse_public_id

from .forms import OptOutReasonForm
from .links import BadLink, Purpose, read_token
from .preferences import activate_subscriber_language
from .views import bad_link


def _resolve(token: str) -> tuple[Subscriber, Topic | None]:
    payload = read_token(Purpose.UNSUBSCRIBE, token)
    subscriber = prefs.find_subscriber(payload.get("s", ""))
    if subscriber is None:
        raise BadLink(Purpose.UNSUBSCRIBE)
    topic = Topic.objects.filter(slug=payload["t"]).first() if payload.get("t") else None
    return subscriber, topic


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, topic = _resolve(token)
    except BadLink as error:
        return bad_link(request, error)

    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        # RFC 8058: answer 200 (never a redirect) with no further interaction.
        optouts.opt_out(subscriber, topic, OptOut.Via.ONE_CLICK)
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")

    activate_subscriber_language(request, subscriber)
    if request.method != "POST":
        return render(request, "web/optout.html", {"topic": topic, "token": token})
    chosen = topic if topic is not None and request.POST.get("scope") == "topic" else None
    optout = optouts.opt_out(subscriber, chosen, OptOut.Via.PAGE)
    return render(
        request, "web/optout_done.html", {"optout": optout, "token": token, "form": OptOutReasonForm()}
    )


def _own_optout(request: HttpRequest, subscriber: Subscriber) -> OptOut | None:
    """The opt-out named by the form, if it is this person's."""
    public_id = parse_public_id(request.POST.get("optout", ""))
    if public_id is None:
        return None
    return OptOut.objects.select_related("topic").filter(public_id=public_id, subscriber=subscriber).first()


@never_cache
@require_POST
def reason(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _topic = _resolve(token)
    except BadLink as error:
        return bad_link(request, error)
    activate_subscriber_language(request, subscriber)
    optout = _own_optout(request, subscriber)
    if optout is None:
        return bad_link(request, BadLink(Purpose.UNSUBSCRIBE))
    form = OptOutReasonForm(request.POST)
    if not form.is_valid():
        return render(request, "web/optout_done.html", {"optout": optout, "token": token, "form": form})
    optouts.record_reason(optout, form.cleaned_data["reason"], form.cleaned_data["reason_text"])
    return render(request, "web/optout_done.html", {"optout": optout, "token": token, "thanked": True})


@never_cache
@require_POST
def undo(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _topic = _resolve(token)
    except BadLink as error:
        return bad_link(request, error)
    activate_subscriber_language(request, subscriber)
    optout = _own_optout(request, subscriber)
    if optout is None:
        return bad_link(request, BadLink(Purpose.UNSUBSCRIBE))
    optouts.undo_opt_out(optout)
    return render(request, "web/optout_undone.html", {"optout": optout})
