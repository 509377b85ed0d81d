"""The emulated Campaign Standard resources (spec §B; Adobe "Campaign Standard
API" guide: "Managing profiles", "Managing services", "Pagination",
"Transactional messages").

Every resource carries its own absolute `href`, and profiles and services
carry `subscriptions.href`: a client that follows links never needs to build
one. Transactional events are served under the tenant of
EMULATOR_ACS["TRANSACTIONAL_API"] only: under the organization (or any other
segment) the answer is a 404, as on a real instance. An event's `href` is
relative (`mc<tenant>/<EVENT_ID>/<PKey>`), as "Transactional messages" shows
it; its status answers a GET (Adobe's page) and a POST (Adobe's SDK).
"""

import logging
from typing import Any
from urllib.parse import quote

from django.core.mail import EmailMessage, mailers
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from . import metadata
from .gateway import BadRequest, NotFound, absolute, acs_api, paginate, read_json
from .state import CUSTOM_FIELDS, STORE, Invalid, configured

logger = logging.getLogger(__name__)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if not key.startswith("_")}


def _link(request: HttpRequest, name: str, **kwargs: str) -> str:
    return absolute(request, reverse(f"emulator-acs-{name}", kwargs=kwargs))


def render_profile(
    request: HttpRequest, org: str, profile: dict[str, Any], *, extended: bool = False
) -> dict[str, Any]:
    """A profile; its custom fields only on the extended resource."""
    pkey = profile["PKey"]
    shown = {k: v for k, v in _public(profile).items() if extended or k not in CUSTOM_FIELDS}
    return {
        **shown,
        "href": _link(request, "ext-profile" if extended else "profile", org=org, pkey=pkey),
        "subscriptions": {"href": _link(request, "profile-subscriptions", org=org, pkey=pkey)},
        "location": None,
    }


def render_service(request: HttpRequest, org: str, service: dict[str, Any]) -> dict[str, Any]:
    pkey = service["PKey"]
    return {
        **_public(service),
        "href": _link(request, "service", org=org, pkey=pkey),
        "subscriptions": {"href": _link(request, "service-subscriptions", org=org, pkey=pkey)},
    }


def render_subscription(
    request: HttpRequest, org: str, subscription: dict[str, Any], *, created: bool = False
) -> dict[str, Any]:
    """A subscription as the listings show it ("Retrieving subscriptions");
    the answer to the POST that `created` it has an empty `serviceName`, as
    both samples of "Performing subscriptions" show: read the listing."""
    service = STORE.services.get(subscription["service"], {})
    profile = STORE.profiles.get(subscription["profile"], {})
    name, label = service.get("name", ""), service.get("label", "")
    return {
        "PKey": subscription["PKey"],
        "href": _link(
            request, "subscription", org=org, service=subscription["service"], pkey=subscription["PKey"]
        ),
        "created": subscription["created"],
        "serviceName": "" if created else name,
        "service": {
            "PKey": subscription["service"],
            "name": name,
            "label": label,
            "title": f"{label} ({name})",
            "href": _link(request, "service", org=org, pkey=subscription["service"]),
        },
        "subscriber": {
            "PKey": subscription["profile"],
            "email": profile.get("email", ""),
            "href": _link(request, "profile", org=org, pkey=subscription["profile"]),
        },
    }


def _profile_or_404(pkey: str) -> dict[str, Any]:
    profile = STORE.profiles.get(pkey)
    if profile is None:
        raise NotFound(f"The profile '{pkey}' does not exist")
    return profile


def _service_or_404(pkey: str) -> dict[str, Any]:
    service = STORE.services.get(pkey)
    if service is None:
        raise NotFound(f"The service '{pkey}' does not exist")
    return service


def _pkey_of(data: dict[str, Any], key: str) -> str:
    reference = data.get(key)
    pkey = reference.get("PKey") if isinstance(reference, dict) else None
    if not isinstance(pkey, str) or not pkey:
        raise Invalid(f"The '{key}' property needs a PKey")
    return pkey


# --- profiles -----------------------------------------------------------------


@acs_api("GET", "POST")
def profiles(request: HttpRequest, org: str) -> HttpResponse:
    if request.method == "POST":
        profile = STORE.create_profile(read_json(request))
        return JsonResponse(render_profile(request, org, profile), status=201)
    with STORE.lock:
        everyone = sorted(STORE.profiles.values(), key=lambda profile: profile["_order"])
    return paginate(request, everyone, lambda profile: render_profile(request, org, profile))


@acs_api("GET")
def profiles_by_email(request: HttpRequest, org: str) -> HttpResponse:
    """Not de-duplicated: every profile with the address, oldest first."""
    found = STORE.profiles_by_email(request.GET.get("email", ""))
    return paginate(request, found, lambda profile: render_profile(request, org, profile))


@acs_api("GET", "PATCH", "DELETE")
def profile(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    if pkey == "metadata" and request.method == "GET":
        # The `metadata` link a resource description names ("Metadata mechanism").
        return metadata.describe(request, org, "profile")
    _profile_or_404(pkey)
    if request.method == "PATCH":
        if STORE.update_profile(pkey, read_json(request)) is None:
            raise NotFound(f"The profile '{pkey}' does not exist")
        return JsonResponse({"PKey": pkey, "href": _link(request, "profile", org=org, pkey=pkey)})
    if request.method == "DELETE":
        STORE.delete_profile(pkey)
        return JsonResponse({})
    return JsonResponse(render_profile(request, org, _profile_or_404(pkey)))


@acs_api("GET", "POST")
def profile_subscriptions(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    _profile_or_404(pkey)
    if request.method == "POST":
        subscription = STORE.subscribe(pkey, _pkey_of(read_json(request), "service"))
        return JsonResponse(render_subscription(request, org, subscription, created=True), status=201)
    found = STORE.subscriptions_where(profile=pkey)
    return paginate(request, found, lambda item: render_subscription(request, org, item))


# --- services -----------------------------------------------------------------


@acs_api("GET")
def services(request: HttpRequest, org: str) -> HttpResponse:
    with STORE.lock:
        everything = sorted(STORE.services.values(), key=lambda service: service["_order"])
    return paginate(request, everything, lambda service: render_service(request, org, service))


@acs_api("GET")
def services_by_text(request: HttpRequest, org: str) -> HttpResponse:
    """A text search over names and labels: "NEWSLETTER" also finds "NEWSLETTER_ES"."""
    text = request.GET.get("text", "").lower()
    with STORE.lock:
        found = [
            service
            for service in sorted(STORE.services.values(), key=lambda service: service["_order"])
            if text in service["name"].lower() or text in service["label"].lower()
        ]
    return paginate(request, found, lambda service: render_service(request, org, service))


@acs_api("GET", "DELETE")
def service(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    found = _service_or_404(pkey)
    if request.method == "DELETE":
        # Adobe shows this call once, as if it unsubscribed: it deletes the service.
        STORE.delete_service(pkey)
        return JsonResponse({})
    return JsonResponse(render_service(request, org, found))


@acs_api("GET", "POST")
def service_subscriptions(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    _service_or_404(pkey)
    if request.method == "POST":
        subscription = STORE.subscribe(_pkey_of(read_json(request), "subscriber"), pkey)
        return JsonResponse(render_subscription(request, org, subscription, created=True), status=201)
    found = STORE.subscriptions_where(service=pkey)
    return paginate(request, found, lambda item: render_subscription(request, org, item))


@acs_api("GET", "DELETE")
def subscription(request: HttpRequest, org: str, service: str, pkey: str) -> HttpResponse:
    with STORE.lock:
        found = STORE.subscriptions.get(pkey)
        if found is None or found["service"] != service:
            raise NotFound(f"The subscription '{pkey}' does not exist")
        if request.method == "DELETE":
            del STORE.subscriptions[pkey]
            return HttpResponse(status=204)
    return JsonResponse(render_subscription(request, org, found))


# --- transactional events ---------------------------------------------------------


def _check_event(api: str, event_id: str) -> None:
    if api != configured("TRANSACTIONAL_API", "mcacme"):
        raise NotFound("Resource not found")
    known = STORE.controls.value("event_ids")
    if not event_id.startswith("EVT") or (known is not None and event_id not in known):
        raise NotFound(f"The event '{event_id}' does not exist")


def render_event(api: str, event: dict[str, Any]) -> dict[str, Any]:
    href = f"{api}/{quote(event['eventId'])}/{quote(event['PKey'], safe='@')}"
    return {**_public(event), "href": href, "type": "transactional"}


def read_event(request: HttpRequest) -> dict[str, Any]:
    """The event's JSON, read as Campaign reads it: "You must add a charset"
    ("Transactional messages"); without one, each byte is one character
    (ISO-8859-1), so "Café" sent as UTF-8 becomes "CafÃ©" in the message, as
    Adobe's note on special characters in transactional emails describes."""
    charset = (request.content_params or {}).get("charset")
    return read_json(request, encoding=None if charset else "iso-8859-1")


@acs_api("POST")
def event(request: HttpRequest, org: str, api: str, event_id: str) -> HttpResponse:
    """POST {"email": ..., "ctx": {...}}: queued as pending; mailed when SEND_MAIL is on."""
    _check_event(api, event_id)
    data = read_event(request)
    email, ctx = data.get("email"), data.get("ctx", {})
    if not isinstance(email, str) or not email:
        raise Invalid("The 'email' property is mandatory")
    if not isinstance(ctx, dict):
        raise BadRequest("The 'ctx' property must be an object")
    unknown = set(data) - {"email", "ctx", "mobilePhone", "scheduled", "expiration"}
    if unknown:
        raise Invalid(f"Unknown property '{sorted(unknown)[0]}'")
    created = STORE.add_event(event_id, email, ctx)
    if configured("SEND_MAIL", True):
        _mail_event(event_id, email, ctx)
    return JsonResponse(render_event(api, created), status=201)


@acs_api("GET", "POST")
def event_status(request: HttpRequest, org: str, api: str, event_id: str, pkey: str) -> HttpResponse:
    """GET, as "Transactional messages" says; POST too, as Adobe's SDK sends
    (its spec/api.json declares `getTransactionalEvent` as a POST)."""
    _check_event(api, event_id)
    found = STORE.advance_event(pkey)
    if found is None or found["eventId"] != event_id:
        raise NotFound(f"The event '{pkey}' does not exist")
    return JsonResponse(render_event(api, found))


@acs_api("GET", "POST", "PUT", "PATCH", "DELETE")
def no_resource(request: HttpRequest, org: str, rest: str = "") -> HttpResponse:
    """A path that names no resource (under a known organization: a 404)."""
    raise NotFound("Resource not found")


def _mail_event(event_id: str, email: str, ctx: dict[str, Any]) -> None:
    """What Campaign's message template would send: here, the ctx as plain text,
    so a developer walking the journey sees it in the dev mailbox."""
    lines = [f"Transactional message {event_id}, as the ACS emulator received it.", ""]
    lines += [f"{key}: {value}" for key, value in ctx.items()]
    headers = {}
    if unsubscribe := ctx.get("unsubscribeUrl"):
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(f"[ACS emulator] {event_id}", "\n".join(lines) + "\n", to=[email], headers=headers)
    try:
        mailers.default.send_messages([message])
    except OSError as exc:
        logger.warning("ACS emulator could not mail event %s: %s", event_id, type(exc).__name__)
