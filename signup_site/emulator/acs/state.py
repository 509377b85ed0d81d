"""The emulated Campaign Standard's data, in memory behind one lock, and its
controls (`STORE.controls`: the knobs and faults of ../control.py).

Memory rather than the database, on purpose: the emulator must not share
tables, transactions or test-database flushes with the site it serves (the
real Campaign shares nothing with it either); pytest-django's live server
runs in a thread of the test process, so tests reset and inspect it directly
or over HTTP; and a standalone emulator (`runserver 8001`) needs no
migrations. The price: state lives as long as the process (one process per
emulator; restart to start afresh, or POST `_control/reset`).
"""

import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from ..control import Controls, Fault, Knob
from ..control_input import BadControl
from ..languages import LOCALES

SEED_SERVICES = [("NEWSLETTER", "Newsletter"), ("SPECIAL_OFFERS", "Email Special Offers")]
DEFAULT_LINE_COUNT = 25
# The preferredLanguage enumeration, all of Adobe's documented values.
LANGUAGES = LOCALES
GENDERS = {"unknown", "male", "female"}
ENUMERATIONS = {"preferredLanguage": LANGUAGES, "gender": GENDERS}
WRITABLE_TEXT = {"email": 255, "firstName": 30, "lastName": 50, "middleName": 30, "title": 50, "phone": 32}
WRITABLE_TEXT |= {"mobilePhone": 32, "birthDate": 10, "salutation": 50}
WRITABLE_FLAGS = {"blackList", "blackListEmail", "blackListMobile", "blackListPostalMail", "blackListFax"}
# The emulated instance's data model extension: custom profile fields, named
# with Campaign's "cus" prefix, exposed only on /profileAndServicesExt
# ("Custom resources", "Extending the API"): under /profileAndServices they
# are unknown properties.
CUSTOM_FIELDS = {"cusPhone": 32, "cusLoyaltyTier": 20, "cusEmailFrequency": 32}
READ_ONLY = {"PKey", "href", "age", "created", "lastModified", "subscriptions", "cryptedId", "isExternal"}
EVENT_STATUSES = ("pending", "processing", "processed")


def new_pkey() -> str:
    return "@" + secrets.token_urlsafe(36)


def timestamp() -> str:
    """Campaign's "YYYY-MM-DD HH:MM:SS.mmmZ"."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def configured(name: str, default: Any) -> Any:
    return getattr(settings, "EMULATOR_ACS", {}).get(name, default)


class Invalid(Exception):
    """Campaign refuses the data: answered as a 500 with Campaign's message."""


class Conflict(Invalid):
    """A duplicate (Campaign documents no 409: a 500 too)."""


def _event_ids(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadControl(f"{name} must be a list of event ids, or null")
    return sorted(set(value))


def _any_event_id() -> None:
    return None


def _throttled(retry_after: str) -> Fault:
    return Fault(
        status=429, body={"error_code": "429050", "message": "Too many requests"}, retry_after=retry_after
    )


def _unavailable() -> Fault:
    return Fault(status=503, body={"error_code": "503000", "message": "Service Unavailable"})


def new_controls() -> Controls:
    """The common knobs (see ..control), faults matched by method and path,
    and `event_ids`: the transactional events that exist (null: any EVT...)."""
    return Controls(
        latency=lambda: float(configured("LATENCY_SECONDS", 0.0)),
        match=("method", "path"),
        throttled=_throttled,
        unavailable=_unavailable,
        knobs={"event_ids": Knob(_event_ids, _any_event_id)},
    )


class Store:
    """Profiles, services, subscriptions and events, keyed by PKey."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.controls = new_controls()
        self.reset()

    def reset(self) -> None:
        """Empty Campaign: the seed services only. (`_control/reset` resets the
        controls first, ending any call still waiting out a latency.)"""
        with self.lock:
            self.profiles: dict[str, dict[str, Any]] = {}
            self.services: dict[str, dict[str, Any]] = {}
            self.subscriptions: dict[str, dict[str, Any]] = {}
            self.events: dict[str, dict[str, Any]] = {}
            # Privacy requests and namespaces: ./privacy.py.
            self.privacy: dict[str, dict[str, Any]] = {}
            self.namespaces: dict[str, dict[str, str]] = {
                "defaultNamespace1": {"title": "Email (defaultNamespace1)", "reconciliationKey": "email"}
            }
            self.deleted_services: list[str] = []
            self.issued: list[str] = []  # every PKey ever answered, deleted or not
            self._order = 0
            for name, label in SEED_SERVICES:
                self.add_service(name, label)

    def _next(self) -> int:
        self._order += 1
        return self._order

    def _pkey(self) -> str:
        pkey = new_pkey()
        with self.lock:
            self.issued.append(pkey)
        return pkey

    # --- profiles ---------------------------------------------------------------

    def check_profile_fields(self, data: dict[str, Any], *, extended: bool = False) -> dict[str, Any]:
        """Campaign's validation: read-only, unknown, enumeration, length, type;
        the custom fields only through the extended resource."""
        text_fields = WRITABLE_TEXT | CUSTOM_FIELDS if extended else WRITABLE_TEXT
        for name, value in data.items():
            if name in READ_ONLY:
                raise Invalid(f"Cannot update the '{name}' property that is read-only")
            if name in ENUMERATIONS:
                if value not in ENUMERATIONS[name]:
                    raise Invalid(
                        f"The value '{value}' is not valid for the 'nms:recipient:{name}' enumeration"
                    )
            elif name in text_fields:
                if not isinstance(value, str):
                    raise Invalid(f"The value of the '{name}' property must be a string")
                if len(value) > text_fields[name]:
                    raise Invalid(
                        f"The value of '{name}' is too long ({text_fields[name]} characters maximum)"
                    )
            elif name in WRITABLE_FLAGS:
                if not isinstance(value, bool):
                    raise Invalid(f"The value of the '{name}' property must be a boolean")
            else:
                raise Invalid(f"XTK-170036 Unable to parse expression '{name}'. Unknown property '{name}'")
        return data

    def create_profile(self, data: dict[str, Any], *, extended: bool = False) -> dict[str, Any]:
        self.check_profile_fields(data, extended=extended)
        now = timestamp()
        profile: dict[str, Any] = {
            "PKey": self._pkey(),
            "email": "",
            "firstName": "",
            "lastName": "",
            "middleName": "",
            "title": "",
            "salutation": "",
            "phone": "",
            "mobilePhone": "",
            "birthDate": "",
            "gender": "unknown",
            "preferredLanguage": "none",
            **{flag: False for flag in WRITABLE_FLAGS},
            "created": now,
            "lastModified": now,
            "age": "",
            **{name: "" for name in CUSTOM_FIELDS},
            **data,
        }
        with self.lock:
            profile["_order"] = self._next()
            self.profiles[profile["PKey"]] = profile
        return profile

    def update_profile(
        self, pkey: str, data: dict[str, Any], *, extended: bool = False
    ) -> dict[str, Any] | None:
        self.check_profile_fields(data, extended=extended)
        with self.lock:
            profile = self.profiles.get(pkey)
            if profile is not None:
                profile.update(data, lastModified=timestamp())
            return profile

    def delete_profile(self, pkey: str) -> bool:
        with self.lock:
            if self.profiles.pop(pkey, None) is None:
                return False
            self.subscriptions = {k: s for k, s in self.subscriptions.items() if s["profile"] != pkey}
            return True

    def profiles_by_email(self, email: str) -> list[dict[str, Any]]:
        with self.lock:
            found = [p for p in self.profiles.values() if p["email"].lower() == email.lower()]
        return sorted(found, key=lambda profile: profile["_order"])

    # --- services and subscriptions ----------------------------------------------

    def add_service(self, name: str, label: str, message_type: str = "email") -> dict[str, Any]:
        with self.lock:
            service: dict[str, Any] = {
                "PKey": self._pkey(),
                "name": name,
                "label": label,
                "messageType": message_type,
                "mode": "newsletter",
                "start": "",
                "end": "",
                "created": timestamp(),
                "_order": self._next(),
            }
            self.services[service["PKey"]] = service
            return service

    def delete_service(self, pkey: str) -> bool:
        """What a DELETE on a service URL does: the service is gone, for everyone."""
        with self.lock:
            service = self.services.pop(pkey, None)
            if service is None:
                return False
            self.deleted_services.append(service["name"])
            self.subscriptions = {k: s for k, s in self.subscriptions.items() if s["service"] != pkey}
            return True

    def subscribe(self, profile_pkey: str, service_pkey: str) -> dict[str, Any]:
        with self.lock:
            if profile_pkey not in self.profiles:
                raise Invalid(f"The profile '{profile_pkey}' does not exist")
            if service_pkey not in self.services:
                raise Invalid(f"The service '{service_pkey}' does not exist")
            for subscription in self.subscriptions.values():
                if (subscription["profile"], subscription["service"]) == (profile_pkey, service_pkey):
                    raise Conflict("XTK-170024 The subscription already exists (duplicate key)")
            subscription = {
                "PKey": self._pkey(),
                "profile": profile_pkey,
                "service": service_pkey,
                "created": timestamp(),
                "_order": self._next(),
            }
            self.subscriptions[subscription["PKey"]] = subscription
            return subscription

    def subscriptions_where(self, *, profile: str = "", service: str = "") -> list[dict[str, Any]]:
        with self.lock:
            found = [
                s
                for s in self.subscriptions.values()
                if (not profile or s["profile"] == profile) and (not service or s["service"] == service)
            ]
        return sorted(found, key=lambda subscription: subscription["_order"])

    # --- transactional events ------------------------------------------------------

    def add_event(self, event_id: str, email: str, ctx: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            event: dict[str, Any] = {
                "PKey": self._pkey(),
                "eventId": event_id,
                "email": email,
                "ctx": ctx,
                "status": "pending",
                "created": timestamp(),
                "_order": self._next(),
            }
            self.events[event["PKey"]] = event
            return event

    def events_to(self, email: str) -> list[dict[str, Any]]:
        """The events sent to an address, oldest first: a profile's marketing history."""
        with self.lock:
            found = [e for e in self.events.values() if e["email"].lower() == email.lower()]
        return sorted(found, key=lambda event: event["_order"])

    def advance_event(self, pkey: str) -> dict[str, Any] | None:
        """Each status read moves an event on: pending, processing, processed."""
        with self.lock:
            event = self.events.get(pkey)
            if event is not None and event["status"] in EVENT_STATUSES[:-1]:
                event["status"] = EVENT_STATUSES[EVENT_STATUSES.index(event["status"]) + 1]
            return event

    def snapshot(self) -> dict[str, Any]:
        """Everything, for `_control/state` and tests."""
        with self.lock:
            names = {pkey: s["name"] for pkey, s in self.services.items()}
            emails = {pkey: p["email"] for pkey, p in self.profiles.items()}
            return {
                "profiles": [dict(p) for p in sorted(self.profiles.values(), key=lambda p: p["_order"])],
                "services": [dict(s) for s in sorted(self.services.values(), key=lambda s: s["_order"])],
                "subscriptions": [
                    {**s, "serviceName": names.get(s["service"], ""), "email": emails.get(s["profile"], "")}
                    for s in self.subscriptions_where()
                ],
                "events": [dict(e) for e in sorted(self.events.values(), key=lambda e: e["_order"])],
                "privacy_requests": [
                    dict(r) for r in sorted(self.privacy.values(), key=lambda r: r["_order"])
                ],
                "namespaces": {name: dict(ns) for name, ns in self.namespaces.items()},
                "deleted_services": list(self.deleted_services),
                "issued_pkeys": list(self.issued),
            }


STORE = Store()
