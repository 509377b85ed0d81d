"""ACS resources the site itself never needs but an operator does, for
`manage.py campaign` (the rest of Adobe's request collection): listing
profiles page by page, patching any field (custom ones included), an event's
status, a profile's marketing history, and a resource's metadata. Raw
Campaign JSON in and out, through the backend's one client.

Pages followed: "Pagination" (`_lineCount`, then the `next` link as given),
"Updating profiles" (PATCH with the fields only; Adobe's example patches
`phone`), "Custom resources" (custom fields, `cus...`, live on
`/profileAndServicesExt`), "Transactional messages" (GET the event's status
at `<TRANSACTIONAL_API>/<EVENT_ID>/<PKey>`), "Interacting with marketing
history" (GET `history/<PKey>`, then its `events.href`), "Metadata
mechanism" (GET `resourceType/<name>`).
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ...errors import CampaignError, CampaignRejected, ProfileNotFound
from .backend import PRIVACY, PROFILES, ACSBackend
from .client import MAX_PAGES

EXT_PROFILES = "/profileAndServicesExt/profile"
CUSTOM_PREFIX = "cus"


def _key(pkey: str) -> str:
    return quote(pkey, safe="@")


def list_profiles(backend: ACSBackend, *, line_count: int, pages: int) -> dict[str, Any]:
    """Up to `pages` pages of `line_count` profiles; whether more remain."""
    client = backend.client
    page = client.request(
        "GET", client.url(PROFILES), action="profile.list", params={"_lineCount": str(line_count)}
    )
    profiles: list[Any] = []
    read = 0
    while True:
        read += 1
        content = page.get("content")
        profiles.extend(content if isinstance(content, list) else [])
        following = page.get("next")
        more = isinstance(following, dict) and bool(following.get("href"))
        if not more or read >= min(pages, MAX_PAGES):
            return {"content": profiles, "pages": read, "more": more}
        assert isinstance(following, dict)
        page = client.request("GET", client.href(following["href"]), action="profile.list")


def patch_fields(backend: ACSBackend, pkey: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH these fields as given: on the extended resource when one is a
    custom field (`cus...`), which also takes the standard ones, else on
    `profileAndServices`."""
    if not fields:
        raise CampaignRejected("nothing to change")
    client = backend.client
    custom = any(name.startswith(CUSTOM_PREFIX) for name in fields)
    resource = EXT_PROFILES if custom else PROFILES
    answer = client.request(
        "PATCH",
        client.url(f"{resource}/{_key(pkey)}"),
        action="profile.patch",
        json=dict(fields),
        not_found=ProfileNotFound,
    )
    return {"PKey": answer.get("PKey", pkey), "resource": resource.strip("/"), "patched": dict(fields)}


def event_status(backend: ACSBackend, event: str, pkey: str) -> dict[str, Any]:
    """An event's status; `event` is a message name of ACS_EVENTS or an `EVT...` id."""
    event_id = event if event.startswith("EVT") else backend.config.event_id(event)
    if event_id is None:
        raise CampaignRejected(
            f"No ACS event id for message {event!r}: give the EVT id or add it to ACS_EVENTS"
        )
    url = f"{backend.config.events_url}/{quote(event_id)}/{_key(pkey)}"
    return backend.client.request("GET", url, action="event.status", not_found=ProfileNotFound)


def marketing_history(backend: ACSBackend, pkey: str) -> dict[str, Any]:
    """The profile's history entry and every event its `events` link lists."""
    client = backend.client
    entry = client.request(
        "GET",
        client.url(f"/profileAndServices/history/{_key(pkey)}"),
        action="history.get",
        not_found=ProfileNotFound,
    )
    link = entry.get("events")
    events = []
    if isinstance(link, dict) and link.get("href"):
        events = list(client.collection(client.href(link["href"]), action="history.events"))
    return {"PKey": entry.get("PKey", pkey), "events": events}


def metadata(backend: ACSBackend, resource: str, *, extended: bool = False) -> dict[str, Any]:
    """`resourceType/<resource>` under profileAndServices (or ...Ext: with custom fields)."""
    api = "profileAndServicesExt" if extended else "profileAndServices"
    client = backend.client
    return client.request("GET", client.url(f"/{api}/resourceType/{quote(resource)}"), action="metadata")


# Privacy requests by hand (Adobe, "Creating a privacy request" and "Monitoring
# a privacy request": POST `privacy/privacyTool`, GET the request's `href`, GET
# `privacy/privacyTool` for them all, paginated). The site's own erasures go
# through `ACSBackend.request_erasure`; these answer Campaign's JSON as it is.


def create_privacy_request(backend: ACSBackend, fields: Mapping[str, str]) -> dict[str, Any]:
    """File a privacy request with these fields (name, namespaceName,
    reconciliationValue, regulation, type, label); Campaign's answer."""
    client = backend.client
    try:
        return client.request("POST", client.url(PRIVACY), action="privacy.create", json=dict(fields))
    except CampaignError as exc:
        # Campaign answers an unknown namespace with a 500 like an outage's: it is the data.
        if "namespace" in str(exc).lower() and not isinstance(exc, CampaignRejected):
            raise CampaignRejected(f"{exc} (check --namespace or ACS_PRIVACY_NAMESPACE)") from None
        raise


def privacy_request(backend: ACSBackend, reference: str) -> dict[str, Any]:
    """The request at this `href`, or the one filed under this name."""
    href: object = reference
    if "/" not in reference:
        found = backend._filed(reference)
        if found is None:
            raise ProfileNotFound(f"no privacy request named {reference!r}")
        href = found.get("href")
    client = backend.client
    return client.request("GET", client.href(href), action="privacy.get", not_found=ProfileNotFound)


def list_privacy_requests(backend: ACSBackend) -> list[dict[str, Any]]:
    """Every privacy request, following `next`."""
    client = backend.client
    return list(client.collection(client.url(PRIVACY), action="privacy.list"))
