"""The sign-up pages. Each view parses, calls the service module, renders."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from signup_site.campaign import signups
from signup_site.campaign.models import PendingSignup
from signup_site.campaign.signups import Evidence, SignupRequest

from . import limits, proof
from .consent import CONSENT_VERSION, consent_sha256, consent_text
from .forms import SignupForm
from .links import BadLink, Purpose, bad_link, signed_link, site_links
from .proxies import client_ip


def evidence_for(request: HttpRequest, wording: str) -> Evidence:
    return Evidence(
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        source=request.get_full_path(),
        language=get_language() or settings.LANGUAGE_CODE,
        wording_version=CONSENT_VERSION,
        wording_sha256=consent_sha256(wording),
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("signup-form")


@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
@require_http_methods(["GET", "HEAD", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    wording = consent_text()
    if request.method == "POST":
        if limits.is_bot(request):
            # The same answer as anyone's, and nothing stored or sent.
            return HttpResponseRedirect(reverse("signup-sent"))
        form = SignupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            proven = proof.redeem(request.POST.get("altcha", ""))
            if proven in proof.REFUSED:
                form.add_error(None, proof.REFUSED[proven])
                return render(request, "web/signup.html", {"form": form, "consent_text": wording})
            refusal = limits.check(request, "signup", data["email"], proven=proven is proof.Proof.VERIFIED)
            if refusal is not None:
                return limits.limited(
                    request,
                    refusal,
                    {"form": form, "consent_text": wording, "action": reverse("signup-form")},
                )
            signups.start_signup(
                SignupRequest(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    language=data["language"],
                    topics=tuple(data["topics"]),
                ),
                evidence_for(request, wording),
                site_links,
            )
            # Same answer for every address: the page never tells who is known.
            return HttpResponseRedirect(reverse("signup-sent"))
    else:
        form = SignupForm()
    return render(request, "web/signup.html", {"form": form, "consent_text": wording})


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "web/signup_sent.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signed_link(Purpose.CONFIRM)
def signup_confirm(request: HttpRequest, signup: PendingSignup, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms (link scanners GET every link)."""
    if request.method != "POST":
        return render(request, "web/confirm.html", {"signup": signup})
    confirmation = signups.confirm_signup(signup.public_id, evidence_for(request, consent_text()), site_links)
    if confirmation is None:
        return bad_link(request, BadLink(Purpose.CONFIRM))
    return render(request, "web/confirmed.html", {"confirmation": confirmation})
