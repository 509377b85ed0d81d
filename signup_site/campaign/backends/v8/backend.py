"""The `CampaignBackend` verbs on Adobe Campaign v8's SOAP API.

Adobe pages followed: "Specific FFDA Campaign APIs" (experienceleague.adobe.com
/docs/campaign/campaign-v8/architecture/ffda/new-apis) for `xtk:session#Ingest`
and `#IngestExt`; "Campaign API staging mechanism" (.../ffda/staging) for
staging; Campaign Classic's "nms:subscription" and "xtk:queryDef" SOAP method
pages for `Subscribe`, `Unsubscribe` and `ExecuteQuery`; Message Center's
"Event description" for `nms:rtEvent#PushEvent`. Summary: campaign-api.md §C.

Writes go to staging, reads to the cloud tables:

- create / update: `IngestExt` with `_key="@email"` into
  `V8_PROFILE_STAGING_SCHEMA` (an upsert by address, so repeating one after a
  crash never makes a second profile); opt-out of all is the same call with
  `blackListEmail`. The plain insert (`Ingest`, answering the new row's
  UUID) is never needed: an insert repeated after a crash would stage twice.
- topics: `nms:subscription#Subscribe` / `#Unsubscribe` with
  `<recipient _key="@email" email=".."/>`; Subscribe may create the recipient.
  An empty service name is refused before it is sent: Unsubscribe without
  one puts the person on the denylist, every channel.
- reads: `xtk:queryDef#ExecuteQuery` on `nms:recipient` and `nms:subscription`
  by address, every literal escaped (`soap.xtk_literal`).

A built-in workflow copies staging into the cloud tables, hourly by default,
so reads do not show writes at once: `apply_delay` tells the preferences page
to keep showing delivered changes as pending for that long, until a read
shows them applied.

**The PKey on v8 is the profile's email address**, as Campaign stores it. Every
v8 write reconciles by address, and a staged profile has no other key until it
is replicated, so the address is the only key that works from the first write
on. It stays server-side (Subscriber.campaign_pkey; links carry the site's own
id). With it the outbox's get → find → create sequence stays idempotent: before
replication `get_profile` and `find_profile` see nothing and `create_profile`
runs again, which is an upsert. Keys of other backends (ACS PKeys start with
"@") are answered `ProfileNotFound`, so the outbox finds the person again by
address after a migration. An address change re-keys the profile:
`update_profile` reconciles on the replicated recipient's `@id` and returns the
new key; before replication it answers `CampaignUnavailable` (retried later).
"""

import logging
from collections.abc import Mapping
from datetime import timedelta

from lxml import etree

from ...config import privacy_config, v8_config
from ...errors import CampaignRejected, CampaignUnavailable, ProfileNotFound
from ...mail import send_site_email
from ..base import (
    CampaignBackend,
    ErasureRequest,
    ErasureStatus,
    Message,
    Profile,
    ProfileFields,
    Service,
    from_campaign_language,
    to_campaign_language,
)
from . import soap
from .client import SoapClient

logger = logging.getLogger(__name__)

RECIPIENT_NODES = ("@id", "@email", "@firstName", "@lastName", "@language", "@blackListEmail")
# Privacy requests (Adobe, "Automatic Privacy request process", Campaign
# Classic v7 / v8: nms:privacyRequest#CreateRequestByName; its status by a
# queryDef on nms:gdprRequest): PRIVACY_REQUEST_TYPE_DELETE = 2, and the
# regulation enumeration GDPR = 1, CCPA = 2, PDPA = 3, LGPD = 4.
PRIVACY_DELETE = 2
REGULATIONS = {"gdpr": 1, "ccpa": 2, "pdpa": 3, "lgpd": 4}
PRIVACY_ERASED = {"complete", "errorDataNotFound"}
PRIVACY_FINAL = {*PRIVACY_ERASED, "error"}
# Retry an address change this long after Campaign had not replicated the profile yet.
REPLICATION_RETRY_SECONDS = 600.0


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true")


def _is_v8_key(pkey: str) -> bool:
    """An address; not another backend's PKey (those start with "@")."""
    return "@" in pkey and not pkey.startswith("@")


def _profile(row: etree._Element) -> Profile:
    return Profile(
        pkey=row.get("email", ""),
        email=row.get("email", ""),
        first_name=row.get("firstName", ""),
        last_name=row.get("lastName", ""),
        language=from_campaign_language(row.get("language")),
        blacklist_email=_flag(row.get("blackListEmail", "")),
    )


def _attributes(fields: ProfileFields, frequency_attribute: str = "") -> dict[str, object]:
    """Campaign's attribute names for the fields that are set (not the
    address); the email frequency under the brand's attribute, if it maps one."""
    attributes: dict[str, object] = {
        "firstName": fields.first_name,
        "lastName": fields.last_name,
        "language": to_campaign_language(fields.language) if fields.language is not None else None,
        "blackListEmail": fields.blacklist_email,
    }
    if frequency_attribute:
        attributes[frequency_attribute] = fields.email_frequency
    return {name: value for name, value in attributes.items() if value is not None}


def _service_name(service: str) -> str:
    """One service's internal name, or CampaignRejected before anything is sent.

    `serviceName` is "a list of information service names (comma separated)",
    and "if the service name is not specified ..., the recipient is then
    automatically on denylist (@blackList="1")": every channel (Adobe,
    "Business oriented APIs", Unsubscribe). So no empty name, and no comma
    that would make one name a list, ever reaches Campaign.
    """
    if not service.strip():
        raise CampaignRejected("an empty service name: Campaign would put the person on the denylist")
    if "," in service:
        raise CampaignRejected("a service name with a comma: Campaign would read it as a list")
    return service


def _query(schema: str, nodes: tuple[str, ...], condition: str = "", order_by: str = "") -> etree._Element:
    """A `select` queryDef; `condition` must quote its literals with `soap.xtk_literal`."""
    query = soap.element("queryDef", schema=schema, operation="select")
    select = etree.SubElement(query, "select")
    for expr in nodes:
        etree.SubElement(select, "node", expr=expr)
    if condition:
        etree.SubElement(etree.SubElement(query, "where"), "condition", expr=condition)
    if order_by:
        etree.SubElement(etree.SubElement(query, "orderBy"), "node", expr=order_by)
    return query


class V8Backend(CampaignBackend):
    """Adobe Campaign v8 over SOAP; see the module docstring for the mapping."""

    # IngestExt with _key="@email" inserts or updates, setting what it is given.
    upserts_profiles = True

    def __init__(self) -> None:
        self.config = v8_config()
        self.client = SoapClient(self.config)
        self.apply_delay: timedelta = self.config.apply_delay

    # -- staging (xtk:session#IngestExt) ----------------------------------------------

    def _staging_row(self, attributes: Mapping[str, object], key: str) -> etree._Element:
        try:
            row = soap.element(self.config.staging_element, attributes, _key=key)
        except ValueError as exc:
            raise CampaignRejected(f"a profile value cannot be sent: {exc}") from None
        row.set("xtkschema", self.config.staging_schema)
        return row

    def ingest_ext(self, attributes: Mapping[str, object], key: str = "@email") -> None:
        """Insert or update one staging row by `key` (`xtk:session#IngestExt`)."""
        self.client.call("xtk:session", "IngestExt", [("domDoc", self._staging_row(attributes, key))])

    # -- reads (xtk:queryDef#ExecuteQuery) ---------------------------------------------

    def _select(self, query: etree._Element, tag: str) -> list[etree._Element]:
        outputs = self.client.call("xtk:queryDef", "ExecuteQuery", [("entity", query)])
        return soap.rows(outputs.document("pdomOutput", 0), tag)

    def _recipient(self, email: str) -> etree._Element | None:
        condition = f"Lower(@email) = {soap.xtk_literal(email.lower())}"
        query = _query("nms:recipient", RECIPIENT_NODES, condition, order_by="@id")
        query.set("lineCount", "1")
        found = self._select(query, "recipient")
        return found[0] if found else None

    def find_profile(self, email: str) -> Profile | None:
        row = self._recipient(email)
        return _profile(row) if row is not None and row.get("email") else None

    def get_profile(self, pkey: str) -> Profile:
        profile = self.find_profile(pkey) if _is_v8_key(pkey) else None
        if profile is None:
            raise ProfileNotFound("No replicated recipient under that address")
        return profile

    def list_services(self) -> list[Service]:
        query = _query("nms:service", ("@name", "@label"), order_by="@name")
        return [
            Service(name=row.get("name", ""), label=row.get("label", ""))
            for row in self._select(query, "service")
            if row.get("name")
        ]

    def subscriptions(self, pkey: str) -> frozenset[str]:
        if not _is_v8_key(pkey):
            raise ProfileNotFound("Not a v8 profile key")
        condition = f"Lower([recipient/@email]) = {soap.xtk_literal(pkey.lower())}"
        query = _query("nms:subscription", ("[service/@name]",), condition)
        names = (soap.child_attribute(row, "service/@name") for row in self._select(query, "subscription"))
        return frozenset(name for name in names if name)

    # -- writes ------------------------------------------------------------------------

    def create_profile(self, fields: ProfileFields) -> Profile:
        if not fields.email:
            raise CampaignRejected("A profile needs an email address")
        self.ingest_ext({"email": fields.email, **_attributes(fields)})
        return Profile(
            pkey=fields.email,
            email=fields.email,
            first_name=fields.first_name or "",
            last_name=fields.last_name or "",
            language=fields.language or "",
            blacklist_email=bool(fields.blacklist_email),
        )

    def update_profile(self, pkey: str, fields: ProfileFields) -> str | None:
        if not _is_v8_key(pkey):
            raise ProfileNotFound("Not a v8 profile key")
        attributes = _attributes(fields, self.config.frequency_attribute)
        if fields.email is not None and fields.email != pkey:
            return self._change_address(pkey, fields.email, attributes)
        if attributes:
            self.ingest_ext({"email": pkey, **attributes})
        return None

    def _change_address(self, old: str, new: str, attributes: Mapping[str, object]) -> str:
        """Reconcile on the replicated recipient's @id: a reconciliation on the
        address cannot change the address."""
        row = self._recipient(old)
        if row is None or not row.get("id"):
            raise CampaignUnavailable(
                "address change waits until Campaign has replicated the profile",
                retry_after=REPLICATION_RETRY_SECONDS,
            )
        self.ingest_ext({"id": row.get("id"), "email": new, **attributes}, key="@id")
        return new

    def _recipient_element(self, pkey: str) -> etree._Element:
        if not _is_v8_key(pkey):
            raise ProfileNotFound("Not a v8 profile key")
        try:
            return soap.element("recipient", _key="@email", email=pkey)
        except ValueError as exc:
            raise CampaignRejected(f"the address cannot be sent: {exc}") from None

    def subscribe(self, pkey: str, service: str) -> None:
        recipient = self._recipient_element(pkey)
        params: list[soap.Param] = [
            ("strServiceName", _service_name(service)),
            ("elemRecipient", recipient),
            ("bCreate", True),
        ]
        self.client.call("nms:subscription", "Subscribe", params)

    def unsubscribe(self, pkey: str, service: str) -> None:
        recipient = self._recipient_element(pkey)
        params: list[soap.Param] = [("strServiceName", _service_name(service)), ("elemRecipient", recipient)]
        self.client.call("nms:subscription", "Unsubscribe", params)

    # -- messages ------------------------------------------------------------------------

    def send_message(self, message: Message) -> None:
        if self.config.messages == "site":
            send_site_email(message.name, message.email, message.language, message.context)
            return
        self.client.call("nms:rtEvent", "PushEvent", [("domEvent", self._event(message))])

    def _event(self, message: Message) -> etree._Element:
        """A Message Center real-time event; its type comes from V8_EVENT_TYPES."""
        try:
            event = soap.element(
                "rtEvent",
                type=self.config.event_type(message.name, message.language),
                email=message.email,
                origin="signup_site",
                wishedChannel="0",
            )
            ctx = etree.SubElement(event, "ctx")
            for name, value in {**message.context, "language": message.language}.items():
                etree.SubElement(ctx, name).text = str(value)
        except ValueError as exc:
            raise CampaignRejected(f"the message cannot be sent as an event: {exc}") from None
        return event

    # -- privacy (right to be forgotten) ---------------------------------------------

    def _privacy_requests(self, condition: str) -> list[etree._Element]:
        query = _query("nms:gdprRequest", ("@id", "@status", "@reconciliationValue"), condition, "@id")
        return self._select(query, "gdprRequest")

    def request_erasure(self, request: ErasureRequest) -> str:
        """`nms:privacyRequest#CreateRequestByName`, unless a request for the
        address is still open (a retry after a lost answer: Campaign names
        its requests itself, so the address is what finds it)."""
        literal = soap.xtk_literal(request.email)
        for row in self._privacy_requests(f"@reconciliationValue = {literal} AND @type = {PRIVACY_DELETE}"):
            if row.get("status") not in PRIVACY_FINAL and row.get("id"):
                return str(row.get("id"))
        params: list[soap.Param] = [
            ("namespaceName", privacy_config().v8_namespace),
            ("reconciliationValue", request.email),
            ("type", PRIVACY_DELETE),
            ("confirmDeletePending", False),  # no second, manual confirmation in Campaign
            ("regulation", REGULATIONS[request.regulation]),
        ]
        outputs = self.client.call("nms:privacyRequest", "CreateRequestByName", params)
        request_id = outputs.text("plId", 0)
        if not request_id:
            raise CampaignUnavailable("Campaign answered CreateRequestByName without a request id")
        return request_id

    def erasure_status(self, reference: str) -> ErasureStatus:
        if not reference.isdigit():
            raise ProfileNotFound("Not a v8 privacy request id")
        rows = self._privacy_requests(f"@id = {reference}")
        if not rows:
            raise ProfileNotFound("No privacy request under that id")
        state = rows[0].get("status", "")
        if state == "error":
            raise CampaignRejected("Campaign v8 privacy request failed: status error")
        return ErasureStatus(state=state or "unknown", done=state in PRIVACY_ERASED)
