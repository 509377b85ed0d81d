"""The public pages. Each view parses, calls the service module, renders."""

from typing import cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from signup_site.campaign import services
from signup_site.campaign.services import Evidence, SignupRequest

from . import mailbox
from .consent import CONSENT_VERSION, consent_sha256, consent_text
from .forms import SignupForm
from .links import BadLink, ExpiredLink, Purpose, read_token, site_links


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting as many X-Forwarded-For hops as configured."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def evidence_for(request: HttpRequest, wording: str) -> Evidence:
    return Evidence(
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        source=request.get_full_path(),
        language=get_language() or settings.LANGUAGE_CODE,
        wording_version=CONSENT_VERSION,
        wording_sha256=consent_sha256(wording),
    )


def use_language_of(request: HttpRequest, language: str) -> None:
    """On a page about one person, their own language comes before the
    browser's, unless they chose one here (`?lang=` or the language cookie)."""
    if "lang" in request.GET or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def bad_link(request: HttpRequest, error: BadLink) -> HttpResponse:
    """A friendly page for a link that is expired, tampered or misdirected."""
    context = {"expired": isinstance(error, ExpiredLink), "purpose": str(error)}
    return render(request, "web/bad_link.html", context, status=400)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("signup-form")


@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
@require_http_methods(["GET", "HEAD", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    wording = consent_text()
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.start_signup(
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
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms (link scanners GET every link)."""
    try:
        payload = read_token(Purpose.CONFIRM, token)
    except BadLink as error:
        return bad_link(request, error)
    signup = services.find_signup(payload.get("p", ""))
    if signup is None:
        return bad_link(request, BadLink(Purpose.CONFIRM))
    use_language_of(request, signup.language)
    if request.method != "POST":
        return render(request, "web/confirm.html", {"signup": signup})
    confirmation = services.confirm_signup(
        signup.public_id, evidence_for(request, consent_text()), site_links
    )
    if confirmation is None:
        return bad_link(request, BadLink(Purpose.CONFIRM))
    return render(request, "web/confirmed.html", {"confirmation": confirmation})


def _require_mailbox() -> None:
    if not settings.DEBUG:
        raise Http404


# The mailbox shows emails as mail clients do, inline styles included.
MAILBOX_CSP: dict[str, list[str]] = {
    **cast(dict[str, list[str]], settings.SECURE_CSP),
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}


@never_cache
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _require_mailbox()
    return render(request, "web/mailbox_list.html", {"emails": mailbox.list_emails()})


@never_cache
@require_GET
@csp_override(MAILBOX_CSP)
def mailbox_detail(request: HttpRequest, email_id: str) -> HttpResponse:
    _require_mailbox()
    stored = mailbox.get_email(email_id)
    if stored is None:
        raise Http404
    return render(request, "web/mailbox_detail.html", {"email": stored})
