"""The sign-up pages. Each view parses, calls the service module, renders."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from signup_site.campaign import signups
from signup_site.campaign.models import PendingSignup
from signup_site.campaign.signups import Evidence, SignupRequest

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


@dataclass(frozen=True)
class SignupSubmission:
    """What became of one submitted sign-up form, from the page or the API.

    `form` is bound and validated. `refused` is set when the abuse checks
    turned the submission away (a rate limit, a missing proof of work): a
    response in the page's format, which the page answers as it is and the API
    in its own (`web.api`). Neither says whether the address is known.
    """

    form: SignupForm
    refused: HttpResponse | None = None

    @property
    def started(self) -> bool:
        return self.refused is None and self.form.is_valid()


def submit_signup(request: HttpRequest, data: QueryDict, wording: str) -> SignupSubmission:
    """Validate `data` as the sign-up form does and, when valid, start the sign-up.

    The one path of both the sign-up page (`signup_form`) and the JSON and
    form endpoint (`web.api.signup`), so the two cannot drift: the same form
    (topics by id or slug), the same checks, the same consent evidence
    (`wording` is the consent text the person was shown, in the request's
    language) and the same journey call.

    Checks against abuse (rate limits, the ALTCHA proof of work in the form's
    `altcha` field, the honeypot) go where marked below: after validation,
    before anything is stored, their refusal returned as `refused`.
    """
    form = SignupForm(data)
    if not form.is_valid():
        return SignupSubmission(form)
    cleaned = form.cleaned_data
    # Abuse checks go here, e.g.:
    #     if (refused := limits.check(request, "signup", cleaned["email"], proven=...)) is not None:
    #         return SignupSubmission(form, refused)
    signups.start_signup(
        SignupRequest(
            email=cleaned["email"],
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            language=cleaned["language"],
            topics=tuple(cleaned["topics"]),
        ),
        evidence_for(request, wording),
        site_links,
    )
    return SignupSubmission(form)


@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
@require_http_methods(["GET", "HEAD", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    wording = consent_text()
    if request.method == "POST":
        submission = submit_signup(request, request.POST, wording)
        if submission.refused is not None:
            return submission.refused
        if submission.started:
            # Same answer for every address: the page never tells who is known.
            return HttpResponseRedirect(reverse("signup-sent"))
        form = submission.form
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
