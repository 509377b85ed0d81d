"""The SOAP methods the emulated v8 router serves.

Parameters are read by position, whatever their element names (Campaign does
the same): position 0 is always the session token. A handler answers the
response body or raises `xml.Fault`.
"""

import uuid
from collections.abc import Callable

from lxml import etree

from ..languages import LOCALES
from . import privacy, schemas, xtk
from .store import RECIPIENT_FIELDS, STORE, Staged, configured_logins, normalise
from .xml import Call, Fault, executing, local_name, reading_parameters, response

Handler = Callable[[Call], bytes]


def _bad_parameters(call: Call, expected: str) -> Fault:
    return Fault("SOP-330007", reading_parameters(call), expected)


def _need(call: Call, count: int, expected: str) -> None:
    if len(call.params) < count:
        raise _bad_parameters(call, expected)


def _element(call: Call, position: int, expected: str) -> etree._Element:
    node = call.element(position)
    if node is None:
        raise _bad_parameters(call, expected)
    return node


def logon(call: Call) -> bytes:
    """xtk:session#Logon(sessiontoken, login, password, parameters)."""
    _need(call, 3, "Logon(sessiontoken, strLogin, strPassword, elemParameters)")
    login, password = call.text(1), call.text(2)
    if not login or configured_logins().get(login) != password:
        # No code at all: the shape of Adobe's documented refusal of a login
        # ("Event description", Message Center; v8 and Classic alike).
        raise Fault("", reading_parameters(call) + ".", "Invalid login or password. Connection denied.")
    session = STORE.open_session(login)
    info = etree.Element("sessionInfo")
    etree.SubElement(info, "serverInfo", buildNumber="9999", majNumber="8", minNumber="7")
    etree.SubElement(info, "userInfo", login=login, loginId="1")
    return response(
        "xtk:session",
        "Logon",
        [
            ("pstrSessionToken", "xsd:string", session.token),
            ("pSessionInfo", "ns:Element", info),
            ("pstrSecurityToken", "xsd:string", session.security),
        ],
    )


def logoff(call: Call, token: str) -> bytes:
    STORE.close_session(token)
    return response("xtk:session", "Logoff", [])


def _staged_attributes(call: Call, doc: etree._Element) -> tuple[str, tuple[str, ...], dict[str, str]]:
    schema = doc.get("xtkschema") or ""
    if ":" not in schema:
        schema = f"nms:{local_name(doc)}"
    if not schema.endswith("Stg"):
        raise executing(call, f"XTK-170020 Staging is not enabled on schema '{schema}'.")
    attributes = {
        name: value for name, value in doc.attrib.items() if not name.startswith(("_", "xtkschema"))
    }
    if schema.removesuffix("Stg") == "nms:recipient":
        unknown = sorted(set(attributes) - RECIPIENT_FIELDS)
        if unknown:
            raise executing(call, f"XTK-170000 Unknown attribute '{unknown[0]}' in schema '{schema}'.")
        language = attributes.get("language", "")
        if language and language not in LOCALES:
            raise executing(
                call, f"XTK-170006 The value '{language}' is not valid for the 'language' enumeration."
            )
        attributes = normalise(attributes)
    key = tuple(part.strip().removeprefix("@") for part in doc.get("_key", "").split(",") if part.strip())
    missing = [name for name in key if not attributes.get(name)]
    if missing:
        raise executing(call, f"XTK-170001 The reconciliation key '@{missing[0]}' has no value.")
    return schema, key, attributes


def ingest(call: Call) -> bytes:
    """xtk:session#Ingest(sessiontoken, domDoc): insert only; the new row's
    UUID, or "" when the row names a `_key` reconciliation."""
    doc = _element(call, 1, "Ingest(sessiontoken, domDoc)")
    schema, key, attributes = _staged_attributes(call, doc)
    row = STORE.stage(Staged(str(uuid.uuid4()), schema, key, attributes, "insert"))
    return response("xtk:session", "Ingest", [("pstrSUuids", "xsd:string", "" if key else row.uuid)])


def ingest_ext(call: Call) -> bytes:
    """xtk:session#IngestExt(sessiontoken, domDoc): insert or update by `_key`
    (`_operation="delete"` deletes)."""
    doc = _element(call, 1, "IngestExt(sessiontoken, domDoc)")
    schema, key, attributes = _staged_attributes(call, doc)
    if not key:
        raise executing(call, "XTK-170001 IngestExt needs a reconciliation key (_key).")
    operation = "delete" if doc.get("_operation") == "delete" else "upsert"
    STORE.stage(Staged(str(uuid.uuid4()), schema, key, attributes, operation))
    return response("xtk:session", "IngestExt", [])


def _subscription(call: Call, operation: str) -> bytes:
    """`serviceName` is "a list of information service names (comma
    separated)"; Unsubscribe without one puts the recipient on the denylist
    (`@blackList="1"`: every channel), as Adobe's "Business oriented APIs"
    page says it does."""
    expected = "Subscribe(sessiontoken, strServiceName, elemRecipient, bCreate)"
    _need(call, 3, expected)
    names = [name.strip() for name in call.text(1).split(",") if name.strip()]
    recipient = _element(call, 2, expected)
    for name in names:
        if name not in STORE.services:
            raise executing(call, f"NMS-450024 The service '{name}' does not exist.")
    if not names and operation == "subscribe":
        raise executing(call, "NMS-450024 The service '' does not exist.")
    key = tuple(part.strip().removeprefix("@") for part in recipient.get("_key", "@email").split(","))
    attributes = {k: v for k, v in recipient.attrib.items() if not k.startswith("_") and k != "xtkschema"}
    if not all(attributes.get(name) for name in key):
        raise executing(call, "NMS-450025 The recipient has no value for its reconciliation key.")
    create = call.text(3).lower() in ("1", "true") if operation == "subscribe" else False
    attributes["create"] = "1" if create else "0"
    for name in names or [""]:  # "": the denylist
        STORE.stage(
            Staged(str(uuid.uuid4()), "nms:subscription", key, dict(attributes), operation, service=name)
        )
    return response("nms:subscription", call.method, [])


def subscribe(call: Call) -> bytes:
    return _subscription(call, "subscribe")


def unsubscribe(call: Call) -> bytes:
    return _subscription(call, "unsubscribe")


def _rows(schema: str) -> tuple[list[dict[str, str]], str]:
    with STORE.lock:
        if schema == "nms:recipient":
            return [dict(row) for row in STORE.recipients.values()], "recipient"
        if schema == "nms:service":
            return [dict(row) for row in STORE.services.values()], "service"
        if schema == "nms:subscription":
            return STORE.subscription_rows(), "subscription"
        if schema.endswith("Stg"):  # staging tables live in the local database: readable
            rows = [dict(row.attributes) for row in STORE.staging if row.schema == schema]
            return rows, schema.split(":", 1)[1]
        if schema in STORE.tables:
            return [dict(row) for row in STORE.tables[schema]], schema.split(":", 1)[1]
    raise xtk.XtkError(f"XTK-170036 Unknown schema '{schema}'.")


def execute_query(call: Call) -> bytes:
    """xtk:queryDef#ExecuteQuery(sessiontoken, entity) -> pdomOutput."""
    query = _element(call, 1, "ExecuteQuery(sessiontoken, entity)")
    if local_name(query) != "queryDef":
        raise _bad_parameters(call, "ExecuteQuery expects a <queryDef> entity")
    try:
        schema = query.get("schema", "")
        rows, tag = (privacy.rows(query), "gdprRequest") if schema == "nms:gdprRequest" else _rows(schema)
        output = xtk.execute(query, rows, tag, lambda row, link: STORE.follow(dict(row), link))
    except (xtk.XtkError, ValueError) as exc:
        raise executing(call, str(exc)) from None
    return response("xtk:queryDef", "ExecuteQuery", [("pdomOutput", "ns:Element", output)])


def push_event(call: Call) -> bytes:
    """nms:rtEvent#PushEvent(sessiontoken, domEvent) -> plId (Message Center)."""
    event = _element(call, 1, "PushEvent(sessiontoken, domEvent)")
    if local_name(event) != "rtEvent" or not event.get("type") or not event.get("email"):
        raise executing(call, "NMS-600001 An event needs a type and an email.")
    ctx = event.find("ctx")
    with STORE.lock:
        event_id = len(STORE.events) + 1
        STORE.events.append(
            {
                "id": event_id,
                "type": event.get("type"),
                "email": event.get("email"),
                "origin": event.get("origin", ""),
                "ctx": {local_name(c): c.text or "" for c in ctx if isinstance(c.tag, str)}
                if ctx is not None
                else {},
            }
        )
    return response("nms:rtEvent", "PushEvent", [("plId", "xsd:long", str(event_id))])


def get_entity_if_more_recent(call: Call) -> bytes:
    """xtk:persist#GetEntityIfMoreRecent(sessiontoken, pk, md5, mustExist) -> pdomDoc:
    the entity `pk` ("xtk:schema|nms:subscription"), unless the caller's copy
    has its `md5`. Only the schema documents of ./schemas.py exist."""
    _need(call, 4, "GetEntityIfMoreRecent(sessiontoken, strPk, strMd5, bMustExist)")
    entity_type, _sep, name = call.text(1).partition("|")
    document = schemas.schema_document(name) if entity_type == "xtk:schema" else None
    if document is None and call.text(3).lower() in ("1", "true"):
        raise executing(call, f"XTK-170036 Unknown entity '{call.text(1)}'.")
    if document is not None and document.get("md5") == call.text(2):
        document = None  # the caller's copy is current: an empty answer
    return response(call.schema, "GetEntityIfMoreRecent", [("pdomDoc", "ns:Element", document)])


METHODS: dict[str, Handler] = {
    "xtk:session#Logon": logon,
    "xtk:session#Ingest": ingest,
    "xtk:session#IngestExt": ingest_ext,
    "nms:subscription#Subscribe": subscribe,
    "nms:subscription#Unsubscribe": unsubscribe,
    "xtk:queryDef#ExecuteQuery": execute_query,
    "nms:rtEvent#PushEvent": push_event,
    "nms:privacyRequest#CreateRequestByName": privacy.create_request_by_name,
    "xtk:persist#GetEntityIfMoreRecent": get_entity_if_more_recent,
    "xtk:session#GetEntityIfMoreRecent": get_entity_if_more_recent,
}
# Logoff needs the session it ends; the router calls it itself.
KNOWN = {*METHODS, "xtk:session#Logoff"}
