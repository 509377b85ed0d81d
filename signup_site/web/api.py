"""`POST /api/signup`: the sign-up form for other sites, as JSON or as a plain
HTML form, and its OpenAPI document (`web.openapi`).

The endpoint validates, records consent and starts the sign-up through the
same function as the sign-up page (`views.submit_signup`), so the two cannot
drift. Its answers are the same for every address, known or not.
"""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from signup_site.campaign.languages import current_language
from signup_site.content.consent import Wording

from .consent import sign_shown
from .views import SignupSubmission, submit_signup

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"
# A sign-up is well under 2 KB; a body past this is refused unread (413).
MAX_BODY_BYTES = 16 * 1024
# Fields a JSON body carries as strings; `topics` is a list. Others are ignored,
# as a form's extra fields (a submit button's name) are.
TEXT_FIELDS = ("email", "first_name", "last_name", "language", "altcha")
# How long a client is asked to wait when a refusal names no time of its own.
DEFAULT_RETRY_AFTER_SECONDS = 60


class BadBody(Exception):
    """A body that cannot be read as a sign-up: answered 400 with these errors."""

    def __init__(self, errors: dict[str, list[dict[str, str]]]) -> None:
        super().__init__("bad body")
        self.errors = errors


def error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def field_error(message: str, code: str) -> list[dict[str, str]]:
    return [{"message": message, "code": code}]


def form_data_from_json(body: bytes) -> QueryDict:
    """A JSON object as the form data a browser would send for it."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadBody(
            {"__all__": field_error(gettext("Send a JSON object in UTF-8: the body is not one"), "malformed")}
        ) from None
    if not isinstance(payload, dict):
        raise BadBody(
            {"__all__": field_error(gettext("Send a JSON object, not a list or a value"), "malformed")}
        )
    data = QueryDict(mutable=True)
    errors: dict[str, list[dict[str, str]]] = {}
    for name in TEXT_FIELDS:
        value = payload.get(name)
        if value is None:
            continue
        if isinstance(value, str) and is_text(value):
            data[name] = value
        else:
            errors[name] = field_error(gettext("Send this field as a string of text"), "type")
    topics = payload.get("topics")
    if isinstance(topics, list) and all(is_topic_name(topic) for topic in topics):
        data.setlist("topics", [str(topic) for topic in topics])
    elif topics is not None:
        errors["topics"] = field_error(gettext("Send the topics as a list of their slugs or ids"), "type")
    if errors:
        raise BadBody(errors)
    return data


def is_text(value: str) -> bool:
    # JSON can carry lone surrogates ("\ud800"), which no database can store.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_topic_name(value: object) -> bool:
    return (isinstance(value, str) and is_text(value)) or (
        isinstance(value, int) and not isinstance(value, bool)
    )


def accepted(wording: Wording) -> JsonResponse:
    """The answer to every sign-up started: the same for every address."""
    return JsonResponse(
        {
            "status": "accepted",
            "message": gettext("Check your email: we have sent you a link to confirm your sign-up."),
            "consent": {
                "version": wording.version,
                "language": wording.language,
                "sha256": wording.sha256,
                "text": wording.text,
            },
        },
        status=202,
    )


def refused_as_json(refused: HttpResponse) -> JsonResponse:
    """An abuse check's refusal (the page's own 429 page) as the API answers it."""
    try:
        retry_after = max(0, int(refused.get("Retry-After", "")))
    except ValueError:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    response = error(
        429,
        "rate_limited",
        gettext("Too many sign-ups from here just now: try again later."),
        retry_after=retry_after,
    )
    response["Retry-After"] = str(retry_after)
    return response


def answer_html(request: HttpRequest, submission: SignupSubmission) -> HttpResponse:
    """What a plain HTML form posted from another site gets: our pages."""
    if submission.refused is not None:
        return submission.refused
    if submission.started:
        # 303: the browser follows with a GET, and Reload cannot post again.
        location = reverse("signup-sent")
        if "lang" in request.GET:
            location += f"?lang={get_language()}"
        return HttpResponseRedirect(location, status=303)
    context = {
        "form": submission.form,
        "consent_text": submission.wording.text,
        "consent_shown": sign_shown(submission.wording),
        "form_action": request.get_full_path(),
    }
    return render(request, "web/api_signup_invalid.html", context, status=400)


def read_form_data(request: HttpRequest) -> QueryDict:
    if request.content_type == JSON:
        return form_data_from_json(request.body)
    return request.POST


@csrf_exempt
@never_cache
@sensitive_post_parameters("email", "first_name", "last_name")
def signup(request: HttpRequest) -> HttpResponse:
    """Start a sign-up from a JSON body or a form-encoded one (OpenAPI: /api/openapi.json).

    Exempt from CSRF by design: CSRF protection stops another site from
    borrowing a visitor's ambient authority (their session cookie, their
    login) to act as them. This endpoint acts on none: it reads no session,
    no cookie, no login, and does exactly what it would do for a stranger's
    request sent from anywhere: hold a sign-up until the address's owner
    confirms it by email. A forged request can achieve nothing a direct one
    could not; the abuse a direct one can do (mail to other people's inboxes)
    is what double opt-in, the per-mailbox limit and the abuse checks in
    `submit_signup` are for. It also sets no cookie.
    """
    # No language cookie: the answer does not depend on who asks, nor remember them.
    request.language_chosen = None  # type: ignore[attr-defined]
    if request.method == "OPTIONS":
        return HttpResponse(status=204, headers={"Allow": "OPTIONS, POST"})
    if request.method != "POST":
        response = error(405, "method_not_allowed", gettext("Send the sign-up with POST."))
        response["Allow"] = "OPTIONS, POST"
        return response
    if request.content_type not in (JSON, FORM):
        response = error(
            415,
            "unsupported_media_type",
            gettext("Send the sign-up as application/json or application/x-www-form-urlencoded."),
        )
        response["Accept-Post"] = f"{JSON}, {FORM}"
        return response
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = error(
        413,
        "too_large",
        gettext("The sign-up is too large: send at most %(limit)d bytes.") % {"limit": MAX_BODY_BYTES},
    )
    if length > MAX_BODY_BYTES:
        return too_big
    try:
        data = read_form_data(request)
    except (RequestDataTooBig, TooManyFieldsSent):
        return too_big
    except BadBody as bad:
        return invalid(bad.errors)
    if "language" not in data:
        # A JSON client need not send it: the language it asked for is the one it gets.
        data = data.copy()
        data["language"] = current_language()
    submission = submit_signup(request, data)
    if request.content_type == FORM and request.get_preferred_type([JSON, HTML]) == HTML:
        return answer_html(request, submission)
    if submission.refused is not None:
        return refused_as_json(submission.refused)
    if not submission.started:
        return invalid(submission.form.errors.get_json_data())
    return accepted(submission.wording)


def invalid(errors: dict[str, Any]) -> JsonResponse:
    return error(
        400, "invalid", gettext("Correct the fields named in errors, then send again."), errors=errors
    )
