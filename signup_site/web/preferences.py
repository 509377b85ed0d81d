"""The "Update your Profile and Preference Details" pages.

The emailed link's token is exchanged for a session and the browser is sent
to a clean URL (as Django's password reset does), so the token never leaks in
a Referer or the browser history of a shared computer.

The form carries what the page showed, signed for that person: an update is
what differs from it. So an update is taken while Campaign cannot be read,
and a page sent twice (the second time after Back, while Campaign is down)
loses nothing. The update answers 303 to the page (Post/Redirect/Get), which
says what changed.

While the person is unsubscribed from all email, the topics are shown
unticked and cannot be changed: ticking one would not send them anything, so
the page offers one way back, signing up again (a fresh, confirmed consent, as
after any opt-out of all email), and an update never reports a subscription.
"""

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from signup_site.campaign import email_change, optouts, signups
from signup_site.campaign import preferences as prefs
from signup_site.campaign.addresses import same_address
from signup_site.campaign.delivery import is_suppressed
from signup_site.campaign.errors import CampaignUnavailable
from signup_site.campaign.models import OptOut, PendingEmailChange, PendingSignup, Subscriber

from . import fragments, limits, proof
from .forms import EmailLinkForm, PreferencesForm
from .links import (
    Purpose,
    goodbye_path,
    issued_at,
    make_token,
    max_age,
    signed_link,
    site_links,
    use_language_of,
)
from .optdown_offer import offer_context

SUBSCRIBER_KEY = "prefs_subscriber"
# When the link that started the session was emailed (its signed timestamp):
# downloading or deleting needs a recent one (PRIVACY_LINK_MAX_AGE_MINUTES).
LINK_ISSUED_KEY = "prefs_link_issued"
RETRY_AFTER_SECONDS = 120
SHOWN_SALT = "signup_site.preferences.shown"
# A page left open longer than this is read afresh before an update is taken.
SHOWN_MAX_AGE_SECONDS = 24 * 3600


def sign_shown(subscriber: Subscriber, shown: prefs.Snapshot, *, stopped: bool = False) -> str:
    """What the page showed this person, for the form to carry; `stopped`:
    it showed them unsubscribed from all email (topics disabled)."""
    data: dict[str, object] = {"s": subscriber.public_id.hex, "shown": shown.as_dict()}
    if stopped:
        data["stopped"] = True
    return signing.dumps(data, salt=SHOWN_SALT)


def shown_stopped(value: str) -> bool:
    """Whether the (genuine) snapshot a form carried showed the person
    unsubscribed from all email, as Campaign may say with no opt-out here."""
    try:
        return signing.loads(value, salt=SHOWN_SALT, max_age=SHOWN_MAX_AGE_SECONDS).get("stopped") is True
    except (signing.BadSignature, AttributeError, ValueError):
        return False


def read_shown(subscriber: Subscriber, value: str) -> prefs.Snapshot | None:
    """The snapshot a form carried, if it is genuine, recent, and this person's."""
    try:
        data = signing.loads(value, salt=SHOWN_SALT, max_age=SHOWN_MAX_AGE_SECONDS)
        if data["s"] != subscriber.public_id.hex:
            return None
        return prefs.Snapshot.from_dict(data["shown"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def offer_fresh_link(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("prefs-request-link") + "?expired=1")


@never_cache
@require_http_methods(["GET", "HEAD"])
@signed_link(Purpose.PREFERENCES, when_expired=offer_fresh_link)
def page(request: HttpRequest, subscriber: Subscriber, token: str) -> HttpResponse:
    """The emailed link: start a session for that person, redirect."""
    start_session(request, subscriber, issued_at(token))
    return redirect("prefs-edit")


def start_session(request: HttpRequest, subscriber: Subscriber, issued: float | None) -> None:
    """Let this browser into the person's preferences, on the strength of a
    link emailed to them at `issued` (POSIX seconds; its age counts as the link's).

    A browser that came with a session gets a new key for it (a key planted
    before the link was opened must not become a key to this person); one
    that came with none gets a new one anyway, when the session is first
    saved: cycling it too would write it twice (a confirmation, the heavier
    half of a launch's burst, spent 7 of its 27 statements on its session)."""
    if request.session.session_key is not None:
        request.session.cycle_key()
    request.session[SUBSCRIBER_KEY] = subscriber.public_id.hex
    request.session[LINK_ISSUED_KEY] = issued


def _unavailable(request: HttpRequest) -> HttpResponse:
    response = render(request, "web/prefs_unavailable.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _summary(result: prefs.UpdateResult) -> list[str]:
    # One whole sentence per change: a list of field names spliced into a
    # sentence cannot be translated well.
    updated = {
        "first_name": _("Updated your first name."),
        "last_name": _("Updated your last name."),
        "language": _("Updated your preferred language."),
    }
    lines = [updated[name] for name in result.fields]
    for topic in result.subscribed:
        lines.append(_("Subscribed to %(topic)s.") % {"topic": topic.display_label})
    for topic in result.unsubscribed:
        lines.append(_("Unsubscribed from %(topic)s.") % {"topic": topic.display_label})
    if result.email_change_requested:
        lines.append(
            _("We sent a link to your new email address. The change applies once you open it and confirm.")
        )
    return lines


@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest) -> HttpResponse:
    subscriber = prefs.find_subscriber(request.session.get(SUBSCRIBER_KEY))
    if subscriber is None:
        return offer_fresh_link(request)
    use_language_of(request, subscriber.language)
    waiting = signups.awaiting_confirmation(subscriber)
    if waiting is not None:
        return _unconfirmed(request, waiting)
    shown = read_shown(subscriber, request.POST.get("shown", "")) if request.method == "POST" else None

    if shown is not None and limits.is_bot(request.POST):
        return HttpResponseRedirect(reverse("prefs-edit"), status=303)
    if shown is not None:
        # Compared with what the page showed, so an update is accepted (and
        # queued) even while Campaign cannot be read.
        stopped = is_suppressed(subscriber) or shown_stopped(request.POST["shown"])
        form = PreferencesForm(request.POST, topics=prefs.offered_topics(), stopped_all=stopped)
        if form.is_valid():
            data = form.cleaned_data
            if not same_address(data["email"], shown.email):
                # A new address is emailed: limited like every emailing form. The
                # session came from a link emailed to the person, which proves
                # more than a solved puzzle: the higher allowance applies.
                refusal = limits.check(request, "email-change", data["email"], proven=True)
                if refusal is not None:
                    return limits.limited(request, refusal, {"form": form, "action": reverse("prefs-edit")})
            submitted = prefs.Snapshot(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                language=data["language"],
                # Unsubscribed from all: the boxes were disabled, and a ticked
                # one (a forged POST) would subscribe no one.
                topics=shown.topics if stopped else frozenset(data["topics"]),
            )
            result = prefs.update_preferences(subscriber, shown, submitted, site_links)
            lines = _summary(result) or [_("Nothing changed.")]
            for line in lines:
                messages.success(request, line)
            if "language" in result.fields:
                translation.activate(data["language"])
            return HttpResponseRedirect(reverse("prefs-edit"), status=303)
    else:
        form = None

    try:
        current = prefs.get_preferences(subscriber)
    except CampaignUnavailable:
        return _unavailable(request)
    state = current.state
    if current.stopped_all:
        state = prefs.Snapshot(**{**vars(state), "topics": frozenset()})
    if form is None:
        form = PreferencesForm(
            initial={
                **vars(state),
                "topics": sorted(state.topics),
                "shown": sign_shown(subscriber, state, stopped=current.stopped_all),
            },
            topics=current.topics,
            pending=current.pending,
            stopped_all=current.stopped_all,
        )
    pending_fields = [
        name for name in ("first_name", "last_name", "email", "language") if name in current.pending
    ]
    optdown_offer = {**offer_context(subscriber), "action": reverse("prefs-optdown"), "can_resume": True}
    return render(
        request,
        "web/prefs_edit.html",
        {"form": form, "prefs": current, "pending_fields": pending_fields, "optdown": optdown_offer},
    )


@never_cache
@require_POST
def unsubscribe_all(request: HttpRequest) -> HttpResponse:
    """The page's "Unsubscribe from all emails": recorded and queued as the
    unsubscribe page's button is, then that page's goodbye (with its undo)."""
    subscriber = prefs.find_subscriber(request.session.get(SUBSCRIBER_KEY))
    if subscriber is None:
        return offer_fresh_link(request)
    optout = optouts.opt_out(subscriber, None, OptOut.Via.PREFERENCES)
    # The goodbye page lives under an unsubscribe link: minted here, it keeps
    # the age of the link that opened this session (`links.link_issued`).
    issued = request.session.get(LINK_ISSUED_KEY) or 0.0
    token = make_token(Purpose.UNSUBSCRIBE, s=subscriber.public_id.hex, i=str(issued))
    return HttpResponseRedirect(goodbye_path(token, optout), status=303)


def _unconfirmed(request: HttpRequest, signup: PendingSignup) -> HttpResponse:
    """The page for someone who has not confirmed yet: what they asked for,
    and the button that confirms it (this session came from a link emailed
    to them, as the confirmation link was), or, once that sign-up is too old
    to confirm, the way to sign up again."""
    fresh = timezone.now() - signup.created_at <= max_age(Purpose.CONFIRM)
    token = make_token(Purpose.CONFIRM, p=signup.public_id.hex)
    context = {
        "signup": signup,
        "topics": [topic for topic in signup.topics.all() if topic.active],
        "confirm_path": reverse("signup-confirm", args=[token]) if fresh else "",
    }
    return render(request, "web/prefs_unconfirmed.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """'Email me my link': the same answer whether or not the address is known."""
    if request.method == "POST":
        if limits.is_bot(request.POST):
            return HttpResponseRedirect(reverse("prefs-link-sent"), status=303)
        form = EmailLinkForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            proven = proof.redeem(request.POST.get("altcha", ""))
            if proven in proof.REFUSED:
                form.add_error(None, proof.REFUSED[proven])
                return render(request, "web/prefs_link.html", {"form": form})
            # Counted whether or not the address is known: the limit tells nothing.
            refusal = limits.check(request, "link", email, proven=proven is proof.Proof.VERIFIED)
            if refusal is not None:
                return limits.limited(
                    request, refusal, {"form": form, "action": reverse("prefs-request-link")}
                )
            prefs.send_preferences_link(email, site_links)
            # Post/Redirect/Get: a page one can reload (without asking again)
            # and switch; the same for every address, so it tells nothing.
            return HttpResponseRedirect(reverse("prefs-link-sent"), status=303)
        return render(request, "web/prefs_link.html", {"form": form, "expired": "expired" in request.GET})
    # The blank form, rendered once per language and variant (web.fragments).
    expired = "expired" in request.GET
    key = fragments.fragment_key("prefs-link", "expired" if expired else "")
    html = fragments.kept(key)
    if html is None:
        context = {"form": EmailLinkForm(), "expired": expired, **fragments.MARKED_CONTEXT}
        html = render_to_string("web/prefs_link.html", context, request)
        fragments.keep(key, html)
    return fragments.spliced(request, html)


@require_http_methods(["GET", "HEAD"])
def link_sent(request: HttpRequest) -> HttpResponse:
    """'Check your email' after 'email me my link': names no one."""
    return render(request, "web/prefs_link_sent.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signed_link(Purpose.EMAIL_CHANGE)
def confirm_email(request: HttpRequest, change: PendingEmailChange, token: str) -> HttpResponse:
    """The link sent to a new address: GET shows a button, POST applies it."""
    if request.method != "POST":
        return render(request, "web/prefs_email_confirm.html", {"change": change})
    try:
        email_change.confirm_email_change(change)
    except email_change.AddressTaken:
        return render(request, "web/prefs_email_confirm.html", {"change": change, "taken": True}, status=409)
    return HttpResponseRedirect(reverse("prefs-email-confirmed", args=[token]), status=303)


@never_cache
@require_http_methods(["GET", "HEAD"])
@signed_link(Purpose.EMAIL_CHANGE)
def email_confirmed(request: HttpRequest, change: PendingEmailChange, token: str) -> HttpResponse:
    """The new address's result page (Post/Redirect/Get); before the change
    is confirmed, its button (a GET never confirms)."""
    if change.confirmed_at is None:
        return redirect("prefs-email-confirm", token)
    return render(request, "web/prefs_email_done.html", {"change": change})
