"""The sign-up pages. Each view parses, calls the service module, renders."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from signup_site.campaign import signups
from signup_site.campaign.addresses import mask_address
from signup_site.campaign.models import PendingSignup
from signup_site.campaign.signups import Evidence, SignupRequest
from signup_site.content.consent import Wording, current_wording

from . import fragments, limits, proof
from .consent import UnknownWording, shown_wording, sign_shown
from .forms import SignupForm
from .links import BadLink, Purpose, bad_link, issued_at, signed_link, site_links
from .preferences import start_session
from .proxies import client_ip

# The sign-up as the person typed it, carried to "check your email" in a
# signed cookie of their own browser (never read back from the subscriber,
# so the page cannot tell whether the address is known), for the page to show
# the address masked and to send the same sign-up again.
SENT_COOKIE = "signup_sent"
SENT_SALT = "signup_site.web.signup-sent"
SENT_MAX_AGE_SECONDS = 24 * 3600
SENT_FIELDS = ("email", "first_name", "last_name", "language", "consent")

CONSENT_CHANGED = _(
    "The consent statement has changed since this page was opened. Read it again below, then press Sign up."
)


def evidence_for(request: HttpRequest, wording: Wording) -> Evidence:
    return Evidence(
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        source=request.get_full_path(),
        language=wording.language,
        wording_version=wording.version,
        wording_sha256=wording.sha256,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("signup-form")


@dataclass(frozen=True)
class SignupSubmission:
    """What became of one submitted sign-up form, from the page or the API.

    `form` is bound and validated; `wording` the consent statement the form
    showed (carried signed in its `consent` field; the current one when it
    carries none). `refused` is set when a limit turned the submission away: a
    429 in the page's format, which the page answers as it is and the API in
    its own (`web.api`). `started` is true when the answer is "check your
    email", also for a bot caught by the honeypot, for which nothing was stored.
    None of this says whether the address is known.
    """

    form: SignupForm
    wording: Wording
    refused: HttpResponse | None = None
    started: bool = False


def submit_signup(request: HttpRequest, data: QueryDict) -> SignupSubmission:
    """Validate `data` as the sign-up form does and, when valid, start the sign-up.

    The one path of both the sign-up page (`signup_form`) and the JSON and
    form endpoint (`web.api.signup`), so the two cannot drift: the same form
    (topics by id or slug), the same consent evidence, the same honeypot, proof
    of work (the ALTCHA widget's `altcha` field; none means the stricter
    limits) and limits, and the same journey call.
    """
    form = SignupForm(data)
    valid = form.is_valid()
    try:
        # The statement this form showed, which may no longer be current.
        shown = shown_wording(data.get("consent"), get_language())
    except UnknownWording:
        form.add_error(None, CONSENT_CHANGED)
        shown, valid = current_wording(get_language()), False
    if limits.is_bot(data):
        # The same answer as anyone's, and nothing stored or sent.
        return SignupSubmission(form, shown, started=True)
    if not valid:
        return SignupSubmission(form, shown)
    cleaned = form.cleaned_data
    proven = proof.redeem(str(data.get("altcha", "")))
    if proven in proof.REFUSED:
        form.add_error(None, proof.REFUSED[proven])
        return SignupSubmission(form, shown)
    refusal = limits.check(request, "signup", cleaned["email"], proven=proven is proof.Proof.VERIFIED)
    if refusal is not None:
        context = {**_page_context(form, shown), "action": reverse("signup-form")}
        return SignupSubmission(form, shown, refused=limits.limited(request, refusal, context))
    signups.start_signup(
        SignupRequest(
            email=cleaned["email"],
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            language=cleaned["language"],
            topics=tuple(cleaned["topics"]),
        ),
        evidence_for(request, shown),
        site_links,
    )
    return SignupSubmission(form, shown, started=True)


@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
@require_http_methods(["GET", "HEAD", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        submission = submit_signup(request, request.POST)
        if submission.refused is not None:
            return submission.refused
        if submission.started:
            # Same answer for every address: the page never tells who is known.
            return _sent(request.POST)
        return _signup_page(request, submission.form, submission.wording)
    return _blank_signup_page(request)


def _sent(data: QueryDict) -> HttpResponse:
    """Redirect to "check your email", carrying what was typed for it."""
    typed: dict[str, Any] = {name: str(data.get(name, "")) for name in SENT_FIELDS}
    typed["topics"] = data.getlist("topics")
    response = HttpResponseRedirect(reverse("signup-sent"))
    response.set_cookie(
        SENT_COOKIE,
        signing.dumps(typed, salt=SENT_SALT, compress=True),
        # A browser-session cookie: its signed value says how old it is
        # (SENT_MAX_AGE_SECONDS), and no expiry date varies with the clock.
        path=reverse("signup-sent"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _typed(request: HttpRequest) -> dict[str, Any] | None:
    """The sign-up this browser sent last, if its cookie is genuine and recent."""
    try:
        value = request.COOKIES.get(SENT_COOKIE, "")
        typed = signing.loads(value, salt=SENT_SALT, max_age=SENT_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(typed, dict) or not isinstance(typed.get("email"), str):
        return None
    return typed


def _page_context(form: SignupForm, wording: Wording) -> dict[str, object]:
    return {"form": form, "consent_text": wording.text, "consent_shown": sign_shown(wording)}


def _signup_page(request: HttpRequest, form: SignupForm, wording: Wording) -> HttpResponse:
    return render(request, "web/signup.html", _page_context(form, wording))


def _blank_signup_page(request: HttpRequest) -> HttpResponse:
    """The blank form, rendered once per language (web.fragments). Its signed
    consent version is kept with it: it names the statement, the same for
    everyone, and its signature's timestamp is never read (`shown_wording`)."""
    key = fragments.fragment_key("signup")
    html = fragments.kept(key)
    if html is None:
        context = {**_page_context(SignupForm(), current_wording(get_language())), **fragments.MARKED_CONTEXT}
        html = render_to_string("web/signup.html", context, request)
        fragments.keep(key, html)
    return fragments.spliced(request, html)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your email", with the address typed (masked) and a button that
    sends the same sign-up again: through `submit_signup`, so the honeypot,
    the proof of work and the limits apply, and a refusal says so (429)."""
    typed = _typed(request)
    if request.method == "POST" and typed is not None:
        data = QueryDict(mutable=True)
        for name in SENT_FIELDS:
            data[name] = typed.get(name, "")
        data.setlist("topics", [str(topic) for topic in typed.get("topics", [])])
        for name in ("altcha", limits.HONEYPOT):
            data[name] = request.POST.get(name, "")
        submission = submit_signup(request, data)
        if submission.refused is not None:
            return submission.refused
        if not submission.started:
            # The sign-up no longer validates (the consent statement or a topic
            # changed): the form, with what they typed and why.
            return _signup_page(request, submission.form, submission.wording)
        messages.success(request, gettext("We have sent the email again."))
        return _sent(data)
    if request.method == "POST":
        return HttpResponseRedirect(reverse("signup-sent"))
    masked = mask_address(typed["email"]) if typed else ""
    return render(request, "web/signup_sent.html", {"masked_email": masked})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signed_link(Purpose.CONFIRM)
def signup_confirm(request: HttpRequest, signup: PendingSignup, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms (link scanners GET every link)."""
    if request.method != "POST":
        return render(request, "web/confirm.html", {"signup": signup})
    # The confirmation records the statement the sign-up showed (signups._confirm);
    # the current one stands in only for a sign-up with no record of it.
    evidence = evidence_for(request, current_wording(get_language()))
    confirmation = signups.confirm_signup(signup.public_id, evidence, site_links)
    if confirmation is None:
        return bad_link(request, BadLink(Purpose.CONFIRM))
    # The next step: their preferences, a session started as the emailed
    # Update Details link starts one (the confirmation link was emailed too).
    start_session(request, confirmation.signup.subscriber, issued_at(token))
    # Post/Redirect/Get: the result reloads, switches language, survives Back.
    return HttpResponseRedirect(reverse("signup-confirmed", args=[token]), status=303)


@never_cache
@require_http_methods(["GET", "HEAD"])
@signed_link(Purpose.CONFIRM)
def signup_confirmed(request: HttpRequest, signup: PendingSignup, token: str) -> HttpResponse:
    """ "Thank you, you are signed up", read back from the confirmed sign-up
    the token names; before it is confirmed, its button (a GET never confirms)."""
    confirmation = signups.confirmation_of(signup)
    if confirmation is None:
        return redirect("signup-confirm", token)
    return render(request, "web/confirmed.html", {"confirmation": confirmation})
