"""The emulated Campaign v8 privacy requests (Adobe, "Automatic Privacy
request process", Campaign Classic v7 / v8, experienceleague.adobe.com/docs/
campaign-classic/using/getting-started/privacy/privacy-requests/
privacy-requests-api; the API reference's `nms:privacyRequest`
`CreateRequestByName`).

- `nms:privacyRequest#CreateRequestByName(sessiontoken, namespaceName,
  reconciliationValue, type, confirmDeletePending, regulation) -> plId`:
  `type` PRIVACY_REQUEST_TYPE_ACCESS = 1 or _DELETE = 2, `regulation` GDPR = 1,
  CCPA = 2, PDPA = 3, LGPD = 4, a namespace the instance defines
  (`defaultNamespace1`, reconciling on the email address). Answers the new
  request's id.
- Its status: "a simple queryDef" on `nms:gdprRequest` (`@id`, `@status`,
  `@reconciliationValue`, `@type`, `@regulation`, `@namespaceName`). The
  privacy technical workflows move requests on in their own time (daily);
  here each status read (a query whose condition names the request's `@id`)
  moves that request on one step: new, processing, then complete (a delete erases every recipient with the
  address, their subscriptions, and the staging rows that carry it) or
  errorDataNotFound when nothing matched. The statuses are spelt as Campaign
  Standard's API answers them (the privacy package is the same).
- With `confirmDeletePending` true a delete stops at deletePending, as the
  "2-step process" does, until confirmed in Campaign (not emulated further).
"""

import re

from lxml import etree

from .store import STORE
from .xml import Call, Fault, executing, reading_parameters, response

TYPES = {"1": "access", "2": "delete"}
REGULATIONS = {"1": "gdpr", "2": "ccpa", "3": "pdpa", "4": "lgpd"}
NAMESPACES = {"defaultNamespace1": "email"}
STEPS = ("new", "processing", "complete")


def create_request_by_name(call: Call) -> bytes:
    expected = (
        "CreateRequestByName(sessiontoken, namespaceName, reconciliationValue, type,"
        " confirmDeletePending, regulation)"
    )
    if len(call.params) < 5:
        raise Fault("SOP-330007", reading_parameters(call), expected)
    namespace, value, kind = call.text(1), call.text(2), call.text(3)
    confirm_pending = call.text(4).lower() in ("1", "true")
    regulation = call.text(5) or "1"  # optional since 20.2 (build 9178)
    if namespace not in NAMESPACES:
        raise executing(call, f"PRI-000001 The namespace '{namespace}' does not exist.")
    if kind not in TYPES or regulation not in REGULATIONS or not value:
        raise executing(call, "PRI-000002 Invalid type, regulation or reconciliation value.")
    with STORE.lock:
        request_id = str(next(STORE._ids))
        STORE.privacy_requests.append(
            {
                "id": request_id,
                "namespaceName": namespace,
                "reconciliationValue": value,
                "type": kind,
                "regulation": REGULATIONS[regulation],
                "confirmDeletePending": "1" if confirm_pending else "0",
                "status": "new",
            }
        )
    return response("nms:privacyRequest", "CreateRequestByName", [("plId", "xsd:long", request_id)])


def _erase(value: str) -> bool:
    value = value.lower()
    matched = [rid for rid, row in STORE.recipients.items() if row.get("email", "").lower() == value]
    for rid in matched:
        del STORE.recipients[rid]
    STORE.subscriptions = {entry for entry in STORE.subscriptions if entry[0] not in matched}
    STORE.staging = [row for row in STORE.staging if row.attributes.get("email", "").lower() != value]
    return bool(matched)


def run_privacy_workflow(ids: set[str]) -> None:
    """Move the open requests with these ids on one step."""
    with STORE.lock:
        for request in STORE.privacy_requests:
            if request["id"] not in ids or request["status"] not in STEPS[:-1]:
                continue
            following = STEPS[STEPS.index(request["status"]) + 1]
            if following == "complete" and request["type"] == "2":
                if request["confirmDeletePending"] == "1":
                    following = "deletePending"
                elif not _erase(request["reconciliationValue"]):
                    following = "errorDataNotFound"
            request["status"] = following


def rows(query: etree._Element) -> list[dict[str, str]]:
    conditions = " ".join(node.get("expr", "") for node in query.iter("condition"))
    run_privacy_workflow(set(re.findall(r"@id\s*=\s*'?(\d+)", conditions)))
    with STORE.lock:
        return [dict(request) for request in STORE.privacy_requests]
