"""Resource descriptions, as Adobe's "Metadata mechanism" page shows them:
`GET /profileAndServices/resourceType/<resourceName>` (and the `metadata`
link, `.../profile/metadata`) answers the resource's `content` (one entry per
field: `apiName`, `type`, `category`, `resType`, enumerations' `values`),
with `data`, `filters`, `help`, `href`, `label`, `name`, `schema` and `type`.
Under /profileAndServicesExt the profile's description includes the
instance's custom fields ("Custom resources").
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from .gateway import NotFound, absolute
from .state import CUSTOM_FIELDS, ENUMERATIONS, WRITABLE_FLAGS, WRITABLE_TEXT

READ_ONLY_FIELDS = {
    "PKey": ("string", "primaryKey"),
    "created": ("datetime", "datetime"),
    "lastModified": ("datetime", "datetime"),
    "age": ("number", "long"),
}
RESOURCES: dict[str, dict[str, str]] = {
    "profile": {"label": "Profiles", "help": "Identified profiles", "schema": "nms:recipient"},
    "service": {"label": "Services", "help": "Subscription services", "schema": "nms:service"},
    # The SDK accepts profile, service and history (getMetadataForResource).
    "history": {
        "label": "Marketing history",
        "help": "Profiles' marketing history",
        "schema": "nms:recipient",
    },
}
SERVICE_FIELDS = {"name": 64, "label": 128, "messageType": 16, "mode": 16, "start": 24, "end": 24}


def _field(name: str, kind: str, res_type: str, **more: Any) -> dict[str, Any]:
    return {"apiName": name, "type": kind, "resType": res_type, "category": "Profile", **more}


def _profile_content(extended: bool) -> dict[str, dict[str, Any]]:
    content: dict[str, dict[str, Any]] = {}
    for name, (kind, res_type) in READ_ONLY_FIELDS.items():
        content[name] = _field(name, kind, res_type, readOnly=True)
    texts = WRITABLE_TEXT | CUSTOM_FIELDS if extended else WRITABLE_TEXT
    for name, length in texts.items():
        policy = {"email": "email", "firstName": "smartCase", "lastName": "smartCase"}.get(name, "none")
        content[name] = _field(name, "string", "string", length=length, dataPolicy=policy)
    for name in sorted(WRITABLE_FLAGS):
        content[name] = _field(name, "boolean", "boolean")
    for name, values in ENUMERATIONS.items():
        listed = [{"value": value, "label": value} for value in sorted(values)]
        content[name] = _field(name, "enumeration", "string", values=listed)
    content["subscriptions"] = _field("subscriptions", "collection", "link", resTarget="subscription")
    return content


def _service_content() -> dict[str, dict[str, Any]]:
    content = {"PKey": _field("PKey", "string", "primaryKey", readOnly=True)}
    for name, length in SERVICE_FIELDS.items():
        content[name] = _field(name, "string", "string", length=length, category="Service")
    content["subscriptions"] = _field("subscriptions", "collection", "link", resTarget="subscription")
    return content


def _history_content() -> dict[str, dict[str, Any]]:
    content = {"PKey": _field("PKey", "string", "primaryKey", readOnly=True)}
    for name in ("email", "firstName", "lastName", "birthDate"):
        content[name] = _field(name, "string", "string", readOnly=True)
    content["events"] = _field("events", "collection", "link", resTarget="subHisto")
    return content


def describe(request: HttpRequest, org: str, name: str, *, extended: bool = False) -> JsonResponse:
    """The description of `name`, or a 404 for a resource the emulator does not have."""
    if name not in RESOURCES:
        raise NotFound(f"The resource '{name}' does not exist")
    api = "profileAndServicesExt" if extended else "profileAndServices"
    base = reverse("emulator-acs-campaign", kwargs={"org": org})
    contents = {"profile": lambda: _profile_content(extended), "service": _service_content}
    content = contents.get(name, _history_content)()
    return JsonResponse(
        {
            **RESOURCES[name],
            "content": content,
            "data": f"/{api}/{name}/",
            "filters": {"href": absolute(request, f"{base}{api}/resourceType/{name}")},
            "href": absolute(request, f"{base}{api}/{name}/metadata"),
            "mandatory": False,
            "name": name,
            "pkgStatus": "never",
            "readOnly": False,
            "type": "item",
        }
    )
