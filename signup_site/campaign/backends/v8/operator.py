"""v8 calls the site never makes but an operator does, for `manage.py
campaign`: a staging document sent as given through `xtk:session#Ingest` or
`#IngestExt` (Adobe's "New Campaign v8 APIs": Ingest without `_key` answers
the new row's UUID, with `_key` an empty one; IngestExt upserts by `_key`),
any recipient field set by address (IngestExt, `_key="@email"`), and
recipients listed page by page (`xtk:queryDef#ExecuteQuery` with
`lineCount` and `startLine`), and privacy requests filed, read and listed by
hand (`nms:privacyRequest#CreateRequestByName`; "a simple queryDef" on
`nms:gdprRequest`, Adobe's "Automatic Privacy request process").
"""

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from lxml import etree

from ...errors import CampaignRejected, CampaignUnavailable, ProfileNotFound
from . import soap
from .backend import PRIVACY_DELETE, RECIPIENT_NODES, REGULATIONS, V8Backend, _profile, _query

# Adobe, "Automatic Privacy request process": PRIVACY_REQUEST_TYPE_ACCESS = 1, _DELETE = 2.
PRIVACY_TYPES = {"access": 1, "delete": PRIVACY_DELETE}
PRIVACY_NODES = ("@id", "@status", "@namespaceName", "@reconciliationValue", "@type", "@regulation")


def read_document(document: bytes) -> etree._Element:
    """The staging row of `document`: the file's root, or the one element
    inside a `<domDoc>` wrapper. Parsed without DTD or entities."""
    try:
        root = soap.parse_xml(document)
    except soap.MalformedReply as exc:
        raise CampaignRejected(f"the document is not usable XML: {exc}") from None
    if etree.QName(root).localname == "domDoc":
        children = [child for child in root if isinstance(child.tag, str)]
        if len(children) != 1:
            raise CampaignRejected("a <domDoc> must hold exactly one staging row")
        root = children[0]
    return root


def ingest_document(backend: V8Backend, document: bytes, *, ext: bool) -> dict[str, Any]:
    """Send the document as given; what Campaign answered."""
    row = read_document(document)
    method = "IngestExt" if ext else "Ingest"
    outputs = backend.client.call("xtk:session", method, [("domDoc", row)])
    answer: dict[str, Any] = {"method": f"xtk:session#{method}", "row": etree.QName(row).localname}
    if not ext:
        # Without `_key`: the new staging row's UUID; with one, empty.
        answer["uuids"] = outputs.text("pstrSUuids", 0)
    return answer


def patch_fields(backend: V8Backend, pkey: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Set these recipient fields of the profile `pkey` (its address) by IngestExt."""
    if not fields:
        raise CampaignRejected("nothing to change")
    if "email" in fields:
        raise CampaignRejected("an address change goes through `profile patch --email`")
    backend.ingest_ext({**fields, "email": pkey})
    return {"PKey": pkey, "resource": backend.config.staging_schema, "patched": dict(fields)}


def list_profiles(backend: V8Backend, *, line_count: int, pages: int) -> dict[str, Any]:
    """Up to `pages` pages of `line_count` recipients, oldest first."""
    profiles: list[dict[str, Any]] = []
    for page in range(pages):
        query = _query("nms:recipient", RECIPIENT_NODES, order_by="@id")
        query.set("lineCount", str(line_count))
        query.set("startLine", str(page * line_count))
        rows = backend._select(query, "recipient")
        profiles.extend(asdict(_profile(row)) for row in rows)
        if len(rows) < line_count:
            return {"content": profiles, "pages": page + 1, "more": False}
    return {"content": profiles, "pages": pages, "more": True}


def _privacy_rows(backend: V8Backend, condition: str = "") -> list[dict[str, str]]:
    query = _query("nms:gdprRequest", PRIVACY_NODES, condition, order_by="@id")
    return [dict(row.attrib) for row in backend._select(query, "gdprRequest")]


def create_privacy_request(
    backend: V8Backend, *, namespace: str, email: str, kind: str, regulation: str
) -> dict[str, Any]:
    """File an access or delete request; the request as Campaign then lists it."""
    params: list[soap.Param] = [
        ("namespaceName", namespace),
        ("reconciliationValue", email),
        ("type", PRIVACY_TYPES[kind]),
        ("confirmDeletePending", False),  # no second, manual confirmation in Campaign
        ("regulation", REGULATIONS[regulation]),
    ]
    outputs = backend.client.call("nms:privacyRequest", "CreateRequestByName", params)
    request_id = outputs.text("plId", 0)
    if not request_id:
        raise CampaignUnavailable("Campaign answered CreateRequestByName without a request id")
    # Read back by address, not by id: the id is what `privacy status` asks for.
    filed = _privacy_rows(backend, f"@reconciliationValue = {soap.xtk_literal(email)}")
    return next((row for row in filed if row.get("id") == request_id), {"id": request_id})


def privacy_request(backend: V8Backend, reference: str) -> dict[str, str]:
    """The request with this id (Campaign names none of them)."""
    if not reference.isdigit():
        raise ProfileNotFound("a v8 privacy request is named by its id, a number")
    rows = _privacy_rows(backend, f"@id = {reference}")
    if not rows:
        raise ProfileNotFound(f"no privacy request with id {reference}")
    return rows[0]


def list_privacy_requests(backend: V8Backend) -> list[dict[str, str]]:
    """Every privacy request, oldest first."""
    return _privacy_rows(backend)
