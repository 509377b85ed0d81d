"""The ACS emulator's extended and descriptive resources (Adobe "Campaign
Standard API" guide):

- `/profileAndServicesExt/profile[/<PKey>]` ("Custom resources"): the
  profile with the instance's custom fields (`cus...`), read and written;
- `/profileAndServices/history/<PKey>` and its `events` link ("Interacting
  with marketing history"): the profile with `events.href`, then its events
  (here, the transactional events sent to its address: `category` "email",
  `type` "outbound", a `mirrorPage` link);
- `/profileAndServices[Ext]/resourceType/<name>` ("Metadata mechanism").
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from . import metadata
from .gateway import NotFound, absolute, acs_api, paginate, read_json
from .state import STORE
from .views import render_profile


def _profile_or_404(pkey: str) -> dict[str, Any]:
    found = STORE.profiles.get(pkey)
    if found is None:
        raise NotFound(f"The profile '{pkey}' does not exist")
    return found


def _link(request: HttpRequest, name: str, **kwargs: str) -> str:
    return absolute(request, reverse(f"emulator-acs-{name}", kwargs=kwargs))


@acs_api("GET", "POST")
def ext_profiles(request: HttpRequest, org: str) -> HttpResponse:
    if request.method == "POST":
        created = STORE.create_profile(read_json(request), extended=True)
        return JsonResponse(render_profile(request, org, created, extended=True), status=201)
    with STORE.lock:
        everyone = sorted(STORE.profiles.values(), key=lambda profile: profile["_order"])
    return paginate(request, everyone, lambda profile: render_profile(request, org, profile, extended=True))


@acs_api("GET", "PATCH")
def ext_profile(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    if pkey == "metadata" and request.method == "GET":
        return metadata.describe(request, org, "profile", extended=True)
    _profile_or_404(pkey)
    if request.method == "PATCH":
        if STORE.update_profile(pkey, read_json(request), extended=True) is None:
            raise NotFound(f"The profile '{pkey}' does not exist")
        return JsonResponse({"PKey": pkey, "href": _link(request, "ext-profile", org=org, pkey=pkey)})
    return JsonResponse(render_profile(request, org, _profile_or_404(pkey), extended=True))


@acs_api("GET")
def resource_type(request: HttpRequest, org: str, name: str) -> HttpResponse:
    return metadata.describe(request, org, name)


@acs_api("GET")
def ext_resource_type(request: HttpRequest, org: str, name: str) -> HttpResponse:
    return metadata.describe(request, org, name, extended=True)


@acs_api("GET")
def history(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    """The profile, with the link to its events ("Interacting with marketing history")."""
    found = _profile_or_404(pkey)
    return JsonResponse(
        {
            "PKey": pkey,
            "firstName": found["firstName"],
            "lastName": found["lastName"],
            "birthDate": found["birthDate"],
            "email": found["email"],
            "href": _link(request, "history", org=org, pkey=pkey),
            "events": {"href": _link(request, "history-events", org=org, pkey=pkey), "metadata": "subHisto"},
        }
    )


def _render_event(request: HttpRequest, org: str, pkey: str, event: dict[str, Any]) -> dict[str, Any]:
    href = _link(request, "history-event", org=org, pkey=pkey, event=event["PKey"])
    return {
        "PKey": event["PKey"],
        "category": "email",
        "date": event["created"],
        "href": href,
        "label": f"Transactional message {event['eventId']}",
        "mirrorPage": {"href": href + "/mirrorPage/"},
        "type": "outbound",
    }


@acs_api("GET")
def history_events(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    sent = STORE.events_to(_profile_or_404(pkey)["email"])
    return paginate(request, sent, lambda event: _render_event(request, org, pkey, event))


@acs_api("GET")
def history_event(request: HttpRequest, org: str, pkey: str, event: str) -> HttpResponse:
    found = next((e for e in STORE.events_to(_profile_or_404(pkey)["email"]) if e["PKey"] == event), None)
    if found is None:
        raise NotFound(f"The event '{event}' does not exist")
    return JsonResponse(_render_event(request, org, pkey, found))
