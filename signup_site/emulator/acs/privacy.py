"""The emulated Campaign Standard privacy API (Adobe, "Creating a privacy
request" and "Monitoring a privacy request", experienceleague.adobe.com/docs/
campaign-standard/using/working-with-apis/privacy-management/; Adobe's SDK
aio-lib-campaign-standard: `createGDPRRequest` POSTs and `getGDPRRequest`
GETs `/privacy/privacyTool`).

- POST `privacy/privacyTool` files a request: `name` (unique), `namespaceName`
  (a namespace configured in Campaign; `defaultNamespace1` reconciles on the
  email address), `reconciliationValue`, `label`, `type` ("access" or
  "delete") and `regulation` ("gdpr", "ccpa", "pdpa", "lgpd": mandatory since
  19.4). It answers 201 with the request, `status` "new", its own `href`.
- GET `privacy/privacyTool` lists the requests (paginated); GET on a
  request's `href` shows it. Campaign's privacy workflow moves a request on in
  its own time; here each read of one moves it one step: new, processing,
  then complete (a delete erases every profile, with its subscriptions, whose
  reconciliation key has the value) or errorDataNotFound (nothing matched).
- A refusal (missing or unknown field, unknown namespace or type, duplicate
  name) is a 500 with Campaign's message, as every validation problem is.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from .gateway import NotFound, acs_api, paginate, read_json
from .state import STORE, Conflict, Invalid, timestamp
from .views import _link, _public

FIELDS = {"name", "namespaceName", "reconciliationValue", "label", "type", "regulation", "desc"}
TYPES = {"access", "delete"}
REGULATIONS = {"gdpr", "ccpa", "pdpa", "lgpd"}
STEPS = ("new", "processing", "complete")


def _check(data: dict[str, Any]) -> None:
    unknown = set(data) - FIELDS
    if unknown:
        raise Invalid(f"XTK-170036 Unable to parse expression '{sorted(unknown)[0]}'. Unknown property")
    for name in ("name", "namespaceName", "reconciliationValue", "type", "regulation"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise Invalid(f"The '{name}' property is mandatory")
    if data["type"] not in TYPES:
        raise Invalid(f"The value '{data['type']}' is not valid for the 'nms:gdprRequest:type' enumeration")
    if data["regulation"] not in REGULATIONS:
        raise Invalid(
            f"The value '{data['regulation']}' is not valid for the 'nms:gdprRequest:regulation' enumeration"
        )
    if data["namespaceName"] not in STORE.namespaces:
        raise Invalid(f"The namespace '{data['namespaceName']}' does not exist")


def file_request(data: dict[str, Any]) -> dict[str, Any]:
    _check(data)
    with STORE.lock:
        if any(item["name"] == data["name"] for item in STORE.privacy.values()):
            raise Conflict(
                f"XTK-170024 A privacy request named '{data['name']}' already exists (duplicate key)"
            )
        now = timestamp()
        request: dict[str, Any] = {
            "PKey": STORE._pkey(),
            "label": "",
            "desc": "",
            "audit": "",
            **data,
            "status": "new",
            "retryCount": 0,
            "created": now,
            "lastModified": now,
            "_order": STORE._next(),
        }
        STORE.privacy[request["PKey"]] = request
        return request


def _erase(request: dict[str, Any]) -> bool:
    """What the privacy workflow does for a delete: every profile whose
    reconciliation key holds the value, with its subscriptions."""
    key = STORE.namespaces[request["namespaceName"]]["reconciliationKey"]
    value = request["reconciliationValue"].lower()
    matched = [pkey for pkey, p in STORE.profiles.items() if str(p.get(key, "")).lower() == value]
    for pkey in matched:
        STORE.delete_profile(pkey)
    return bool(matched)


def advance(pkey: str) -> dict[str, Any] | None:
    with STORE.lock:
        request = STORE.privacy.get(pkey)
        if request is None or request["status"] not in STEPS[:-1]:
            return request
        following = STEPS[STEPS.index(request["status"]) + 1]
        if following == "complete" and request["type"] == "delete" and not _erase(request):
            following = "errorDataNotFound"
        request.update(status=following, lastModified=timestamp())
        return request


def render(request: HttpRequest, org: str, item: dict[str, Any]) -> dict[str, Any]:
    href = _link(request, "privacy-request", org=org, pkey=item["PKey"])
    namespace = STORE.namespaces.get(item["namespaceName"], {})
    return {
        **_public(item),
        "href": href,
        "title": f"{item['label']} ({item['name']})",
        "namespace": {"title": namespace.get("title", "")},
        "gdprRequestData": {"href": href + "/gdprRequestData/"},
    }


@acs_api("GET", "POST")
def privacy_tool(request: HttpRequest, org: str) -> HttpResponse:
    if request.method == "POST":
        return JsonResponse(render(request, org, file_request(read_json(request))), status=201)
    with STORE.lock:
        everything = sorted(STORE.privacy.values(), key=lambda item: item["_order"])
    return paginate(request, everything, lambda item: render(request, org, item))


@acs_api("GET")
def privacy_request(request: HttpRequest, org: str, pkey: str) -> HttpResponse:
    found = advance(pkey)
    if found is None:
        raise NotFound(f"The privacy request '{pkey}' does not exist")
    return JsonResponse(render(request, org, found))
