"""`ACSBackend`: the backend interface on Adobe Campaign Standard's REST API.

Pages followed (Adobe "Campaign Standard API" guide, experienceleague.adobe.com
/docs/campaign-standard/using/working-with-apis/): "Managing profiles"
(byEmail, POST, GET and PATCH on `profileAndServices/profile`), "Managing
services" (byText lookup; subscribe by POSTing to the profile's
`subscriptions` link; unsubscribe by DELETE on the subscription's own link),
"Pagination" (`next.href`), and "Transactional messages" (POST an event to
`mc<tenant>/<EVENT_ID>`). Profiles are not de-duplicated by email, so every
write path finds before it creates; subscribing checks the profile's
subscriptions first (except for a profile the delivery has just created,
which has none), and a duplicate subscription (a 500) is recognised, so
repeating a delivery is harmless.
"""

import logging
import threading
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ...config import ACSConfig, acs_config, privacy_config
from ...errors import (
    CampaignError,
    CampaignMisconfigured,
    CampaignRejected,
    CampaignUnavailable,
    ProfileNotFound,
)
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
from .client import ACSClient

logger = logging.getLogger(__name__)

PROFILES = "/profileAndServices/profile"
# "Custom resources": custom fields (`cus...`) are written here; it takes the
# standard fields too.
EXT_PROFILES = "/profileAndServicesExt/profile"
SERVICES = "/profileAndServices/service"
PRIVACY = "/privacy/privacyTool"
# "Privacy management" (Campaign Standard): the statuses after which nothing of
# the person is left; "errorDataNotFound" is an erasure with nothing to erase.
ERASED = {"complete", "errorDataNotFound"}
FAILED = {"error"}
# Remembered subscriptions links per PKey (they never change for a profile):
# saves reading the profile before every subscribe.
LINK_CACHE_SIZE = 10_000


class _Gone(CampaignError):
    """A DELETE found nothing to delete."""


@dataclass(frozen=True)
class _ServiceRef:
    name: str
    label: str
    pkey: str


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _profile(data: dict[str, Any]) -> Profile:
    pkey = data.get("PKey")
    if not isinstance(pkey, str) or not pkey:
        raise CampaignUnavailable("ACS answered a profile without a PKey")
    return Profile(
        pkey=pkey,
        email=_text(data.get("email")),
        first_name=_text(data.get("firstName")),
        last_name=_text(data.get("lastName")),
        language=from_campaign_language(_text(data.get("preferredLanguage"))),
        blacklist_email=_flag(data.get("blackListEmail")),
    )


def profile_body(fields: ProfileFields, frequency_field: str = "") -> dict[str, Any]:
    """ACS property names for the fields that are set, and only those; the
    email frequency under the brand's custom field, when it maps one."""
    body: dict[str, Any] = {}
    if fields.email is not None:
        body["email"] = fields.email
    if fields.first_name is not None:
        body["firstName"] = fields.first_name[:30]  # Campaign's field lengths
    if fields.last_name is not None:
        body["lastName"] = fields.last_name[:50]
    if fields.language is not None:
        body["preferredLanguage"] = to_campaign_language(fields.language)
    if fields.blacklist_email is not None:
        body["blackListEmail"] = fields.blacklist_email
    if fields.email_frequency is not None and frequency_field:
        body[frequency_field] = fields.email_frequency
    return body


def _service_name(subscription: dict[str, Any]) -> str:
    name = subscription.get("serviceName")
    if isinstance(name, str) and name:
        return name
    service = subscription.get("service")
    return _text(service.get("name")) if isinstance(service, dict) else ""


class ACSBackend(CampaignBackend):
    """One ACS organization. Shared by the threads of a process: the token,
    the service lookups and the subscriptions links are cached here."""

    def __init__(self, config: ACSConfig | None = None) -> None:
        self.config = config or acs_config()
        self.client = ACSClient(self.config)
        self._lock = threading.Lock()
        self._services: dict[str, _ServiceRef] = {}
        self._links: OrderedDict[str, str] = OrderedDict()

    # --- profiles -------------------------------------------------------------

    def _profile_url(self, pkey: str) -> str:
        # The one URL built from a PKey: the documented top-level resource.
        return self.client.url(f"{PROFILES}/{quote(pkey, safe='@')}")

    def _remember(self, data: dict[str, Any]) -> Profile:
        profile = _profile(data)
        link = data.get("subscriptions")
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            with self._lock:
                self._links[profile.pkey] = self.client.href(link["href"])
                self._links.move_to_end(profile.pkey)
                while len(self._links) > LINK_CACHE_SIZE:
                    self._links.popitem(last=False)
        return profile

    def find_profile(self, email: str) -> Profile | None:
        found = list(
            self.client.collection(
                self.client.url(f"{PROFILES}/byEmail"), action="profile.byEmail", params={"email": email}
            )
        )
        if not found:
            return None
        # Not de-duplicated by email: the oldest is the one we use.
        # `created` ("YYYY-MM-DD HH:MM:SS.mmmZ") sorts as text.
        oldest = min(enumerate(found), key=lambda pair: (_text(pair[1].get("created")) or "~", pair[0]))
        return self._remember(oldest[1])

    def create_profile(self, fields: ProfileFields) -> Profile:
        body = profile_body(fields)
        if not body.get("email"):
            raise CampaignRejected("A profile needs an email address")
        created = self.client.request("POST", self.client.url(PROFILES), action="profile.create", json=body)
        # Some instances answer only {PKey, href}: what was sent fills the rest.
        return self._remember({**body, **created})

    def get_profile(self, pkey: str) -> Profile:
        data = self.client.request(
            "GET", self._profile_url(pkey), action="profile.get", not_found=ProfileNotFound
        )
        return self._remember(data)

    def update_profile(self, pkey: str, fields: ProfileFields) -> None:
        body = profile_body(fields, self.config.frequency_field)
        if not body:
            return
        url = self._profile_url(pkey)
        if self.config.frequency_field in body:
            url = self.client.url(f"{EXT_PROFILES}/{quote(pkey, safe='@')}")
        self.client.request("PATCH", url, action="profile.patch", json=body, not_found=ProfileNotFound)

    # --- services and subscriptions -------------------------------------------

    def _load_services(self, items: list[dict[str, Any]]) -> list[_ServiceRef]:
        refs = [
            _ServiceRef(_text(item.get("name")), _text(item.get("label")), _text(item.get("PKey")))
            for item in items
        ]
        refs = [ref for ref in refs if ref.name and ref.pkey]
        with self._lock:
            self._services.update({ref.name: ref for ref in refs})
        return refs

    def list_services(self) -> list[Service]:
        items = list(self.client.collection(self.client.url(SERVICES), action="service.list"))
        refs = self._load_services(items)
        return [Service(name=ref.name, label=ref.label) for ref in sorted(refs, key=lambda ref: ref.name)]

    def _service(self, name: str) -> _ServiceRef:
        """A service by its internal name: looked up once, then cached."""
        with self._lock:
            cached = self._services.get(name)
        if cached:
            return cached
        matches = self.client.collection(
            self.client.url(f"{SERVICES}/byText"), action="service.byText", params={"text": name}
        )
        # byText searches text: keep only the exact name.
        self._load_services([item for item in matches if item.get("name") == name])
        with self._lock:
            found = self._services.get(name)
        if found is None:
            raise CampaignRejected(f"Unknown service {name!r}")
        return found

    def _subscriptions_link(self, pkey: str) -> str:
        with self._lock:
            link = self._links.get(pkey)
        if link is None:
            self.get_profile(pkey)
            with self._lock:
                link = self._links.get(pkey)
        if link is None:
            raise CampaignUnavailable("ACS answered a profile without a subscriptions link")
        return link

    def _subscriptions(self, pkey: str) -> list[dict[str, Any]]:
        link = self._subscriptions_link(pkey)
        try:
            return list(self.client.collection(link, action="subscription.list", not_found=ProfileNotFound))
        except ProfileNotFound:
            with self._lock:
                self._links.pop(pkey, None)
            raise

    def _subscription(self, pkey: str, service: str) -> dict[str, Any] | None:
        for item in self._subscriptions(pkey):
            if _service_name(item) == service:
                return item
        return None

    def subscriptions(self, pkey: str) -> frozenset[str]:
        return frozenset(name for item in self._subscriptions(pkey) if (name := _service_name(item)))

    def subscribe(self, pkey: str, service: str) -> None:
        ref = self._service(service)
        if self._subscription(pkey, service) is not None:
            return
        self._post_subscription(pkey, service, ref)

    def subscribe_new_profile(self, pkey: str, service: str) -> None:
        # A profile just created has no subscriptions to read: POST at once.
        self._post_subscription(pkey, service, self._service(service))

    def _post_subscription(self, pkey: str, service: str, ref: _ServiceRef) -> None:
        try:
            self.client.request(
                "POST",
                self._subscriptions_link(pkey),
                action="subscription.create",
                json={"service": {"PKey": ref.pkey}},
                not_found=ProfileNotFound,
            )
        except CampaignRejected:
            # A duplicate (another worker, or a retry after a lost answer)
            # comes back as a 500: subscribed is what we wanted.
            if self._subscription(pkey, service) is None:
                raise

    def unsubscribe(self, pkey: str, service: str) -> None:
        self._service(service)  # an unknown service is a rejection, as on every backend
        subscription = self._subscription(pkey, service)
        if subscription is None:
            return
        # Its own link: a DELETE on the service's URL would delete the service.
        link = self.client.href(subscription.get("href"))
        with suppress(_Gone):  # removed meanwhile: the outcome is the same
            self.client.request("DELETE", link, action="subscription.delete", not_found=_Gone)

    # --- transactional messages -----------------------------------------------

    def send_message(self, message: Message) -> None:
        event_id = self.config.event_id(message.name, message.language)
        if event_id is None:
            raise CampaignRejected(f"No ACS event id for message {message.name!r}: add it to ACS_EVENTS")
        self.client.request(
            "POST",
            f"{self.config.events_url}/{quote(event_id)}",
            action="event.send",
            json={"email": message.email, "ctx": dict(message.context)},
        )

    # --- privacy (right to be forgotten) ---------------------------------------
    # Adobe, "Creating a privacy request" and "Monitoring a privacy request"
    # (experienceleague.adobe.com/docs/campaign-standard/using/working-with-apis/
    # privacy-management/): POST privacy/privacyTool, then GET the request's
    # href until its status is final. Adobe's SDK: createGDPRRequest,
    # getGDPRRequest (spec/api.json: POST and GET /privacy/privacyTool).

    def _filed(self, name: str) -> dict[str, Any] | None:
        for item in self.client.collection(self.client.url(PRIVACY), action="privacy.list"):
            if item.get("name") == name:
                return item
        return None

    def request_erasure(self, request: ErasureRequest) -> str:
        body = {
            "name": request.name,
            "namespaceName": privacy_config().acs_namespace,
            "reconciliationValue": request.email,
            "regulation": request.regulation,
            "label": f"Erasure requested on the sign-up site ({request.name})",
            "type": "delete",
        }
        try:
            created = self.client.request(
                "POST", self.client.url(PRIVACY), action="privacy.create", json=body
            )
        except CampaignError as exc:
            if "namespace" in str(exc).lower() and not isinstance(exc, CampaignMisconfigured):
                # A setting, not the data and not an outage: an operator must act.
                raise CampaignMisconfigured(f"{exc} (check ACS_PRIVACY_NAMESPACE)") from None
            if not isinstance(exc, CampaignRejected):
                raise
            # Filed already (a retry after a lost answer: the name is unique).
            created = self._filed(request.name) or {}
            if not created:
                raise
        return self.client.href(created.get("href"))

    def erasure_status(self, reference: str) -> ErasureStatus:
        data = self.client.request(
            "GET", self.client.href(reference), action="privacy.get", not_found=ProfileNotFound
        )
        state = _text(data.get("status"))
        if state in FAILED:
            raise CampaignRejected(f"ACS privacy request failed: status {state}")
        return ErasureStatus(state=state or "unknown", done=state in ERASED)
