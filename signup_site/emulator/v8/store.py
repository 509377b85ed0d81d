"""The emulated v8 instance's data, in memory and thread-safe.

Two layers, as on an Enterprise (FFDA) deployment (Adobe: "Campaign API
staging mechanism"): `Ingest`, `IngestExt`, `Subscribe` and `Unsubscribe` write
to *staging*; queries read the *cloud tables*; `replicate()` is the built-in
workflow that copies staging into them (on `_control/replicate`, or by itself
every `replicate_after` seconds). `STORE.controls` holds the knobs and faults
of ../control.py.
"""

import itertools
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ..control import Controls, Fault, Knob
from ..control_input import seconds

DEFAULT_SERVICES = {"NEWSLETTER": "Newsletter", "SPECIAL_OFFERS": "Email Special Offers"}
RECIPIENT_FIELDS = frozenset(
    {"id", "email", "firstName", "lastName", "language", "blackList", "blackListEmail", "gender", "company"}
    | {"phone", "mobilePhone"}
    # The instance's extension of nms:recipient: the brand's frequency attribute.
    | {"emailFrequency"}
)
BOOLEAN_FIELDS = frozenset({"blackList", "blackListEmail"})


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, "EMULATOR_V8", {}).get(name, default)


def configured_logins() -> dict[str, str]:
    """login -> password, from EMULATOR_V8["LOGINS"] ("login:password,...")."""
    raw = str(_setting("LOGINS", "emulator-operator:emulator-password"))
    pairs = (item.strip().partition(":") for item in raw.split(",") if item.strip())
    return {login: password for login, _sep, password in pairs if login}


def normalise(attributes: dict[str, str]) -> dict[str, str]:
    """Booleans as Campaign answers them ("1"/"0")."""
    return {
        name: ("1" if value.strip().lower() in ("1", "true") else "0") if name in BOOLEAN_FIELDS else value
        for name, value in attributes.items()
    }


def _throttled(retry_after: str) -> Fault:
    return Fault(status=429, body="Too many requests", content_type="text/plain", retry_after=retry_after)


def _unavailable() -> Fault:
    return Fault(status=503, body="Service Unavailable", content_type="text/plain")


def new_controls() -> Controls:
    """The common knobs, faults matched by SOAP `action` (and able to answer a
    SOAP `fault`), `session_lifetime` and `replicate_after`."""
    return Controls(
        latency=lambda: float(_setting("LATENCY_SECONDS", 0.0)),
        match=("action",),
        throttled=_throttled,
        unavailable=_unavailable,
        knobs={
            "session_lifetime": Knob(seconds, lambda: float(_setting("SESSION_SECONDS", 86400))),
            "replicate_after": Knob(seconds, lambda: float(_setting("REPLICATE_AFTER_SECONDS", 0.0))),
        },
        fault_fields=("fault", "message"),
    )


@dataclass
class Staged:
    """One staging row: a profile write, or a subscription change."""

    uuid: str
    schema: str  # e.g. nms:recipientStg, or nms:subscription for (un)subscriptions
    key: tuple[str, ...]  # reconciliation attributes, e.g. ("email",)
    attributes: dict[str, str]
    operation: str  # insert | upsert | delete | subscribe | unsubscribe
    service: str = ""
    at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "schema": self.schema,
            "key": list(self.key),
            "attributes": self.attributes,
            "operation": self.operation,
            "service": self.service,
        }


@dataclass
class Session:
    token: str
    security: str
    login: str
    expires_at: float


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.controls = new_controls()
        self.reset()

    def reset(self) -> None:
        """An empty instance: the default services only. (`_control/reset` resets
        the controls first, ending any call still waiting out a latency.)"""
        with self.lock:
            self.recipients: dict[int, dict[str, str]] = {}
            self.services: dict[str, dict[str, str]] = {}
            self.subscriptions: set[tuple[int, str]] = set()
            self.tables: dict[str, list[dict[str, str]]] = {}  # other staged schemas, replicated
            self.staging: list[Staged] = []
            self.sessions: dict[str, Session] = {}
            self.events: list[dict[str, Any]] = []
            self.privacy_requests: list[dict[str, str]] = []  # ./privacy.py
            self.last_replication = time.time()
            self.replications = 0
            self._ids = itertools.count(1000)
            for name, label in DEFAULT_SERVICES.items():
                self.add_service(name, label)

    # -- sessions ------------------------------------------------------------

    def open_session(self, login: str) -> Session:
        session = Session(
            token="___" + str(uuid.uuid4()),
            security="@" + secrets.token_urlsafe(24),
            login=login,
            expires_at=time.time() + self.controls.value("session_lifetime"),
        )
        with self.lock:
            self.sessions[session.token] = session
        return session

    def session(self, token: str) -> Session | None:
        """The live session under this token, or None (unknown or expired)."""
        with self.lock:
            session = self.sessions.get(token)
        return session if session is not None and time.time() < session.expires_at else None

    def close_session(self, token: str) -> None:
        with self.lock:
            self.sessions.pop(token, None)

    def expire_sessions(self) -> int:
        with self.lock:
            for session in self.sessions.values():
                session.expires_at = 0.0
            return len(self.sessions)

    # -- cloud tables --------------------------------------------------------

    def add_service(self, name: str, label: str) -> None:
        with self.lock:
            self.services[name] = {"id": str(next(self._ids)), "name": name, "label": label}

    def add_recipient(self, attributes: dict[str, str]) -> dict[str, str]:
        with self.lock:
            row = {**normalise(attributes), "id": str(next(self._ids))}
            self.recipients[int(row["id"])] = row
            return row

    def matching(self, key: tuple[str, ...], attributes: dict[str, str]) -> list[dict[str, str]]:
        """Recipients whose key attributes equal these (exact, as Campaign reconciles)."""
        with self.lock:
            return [
                row
                for row in self.recipients.values()
                if all(row.get(name) == attributes.get(name) for name in key)
            ]

    def subscription_rows(self) -> list[dict[str, str]]:
        with self.lock:
            return [
                {"recipient-id": str(rid), "service-id": self.services[name]["id"]}
                for rid, name in sorted(self.subscriptions)
                if name in self.services
            ]

    def follow(self, row: dict[str, str], link: str) -> dict[str, str] | None:
        """The row a link of a subscription row points to."""
        with self.lock:
            if link == "recipient":
                return self.recipients.get(int(row.get("recipient-id", "0") or 0))
            if link == "service":
                return next((s for s in self.services.values() if s["id"] == row.get("service-id")), None)
        return None

    # -- staging -------------------------------------------------------------

    def stage(self, row: Staged) -> Staged:
        """Add a staging row; an upsert on a key already staged updates that row."""
        with self.lock:
            if row.operation in ("upsert", "insert") and row.key:
                for staged in self.staging:
                    same = staged.schema == row.schema and staged.key == row.key
                    if same and all(staged.attributes.get(k) == row.attributes.get(k) for k in row.key):
                        if row.operation == "upsert":
                            staged.attributes.update(row.attributes)
                        return staged
            self.staging.append(row)
            return row

    def maybe_replicate(self) -> None:
        """The scheduled workflow: replicate when its interval has passed."""
        every = self.controls.value("replicate_after")
        if every and time.time() - self.last_replication >= every:
            self.replicate()

    def replicate(self) -> dict[str, int]:
        """Copy staging into the cloud tables, in order; profiles before subscriptions."""
        with self.lock:
            rows, self.staging = self.staging, []
            profiles = [row for row in rows if row.operation not in ("subscribe", "unsubscribe")]
            changes = [row for row in rows if row.operation in ("subscribe", "unsubscribe")]
            for row in profiles:
                self._apply_profile(row)
            for row in changes:
                self._apply_subscription(row)
            self.last_replication = time.time()
            self.replications += 1
            return {"profiles": len(profiles), "subscriptions": len(changes)}

    def _apply_profile(self, row: Staged) -> None:
        base = row.schema.removesuffix("Stg")
        if base != "nms:recipient":
            self.tables.setdefault(base, []).append(dict(row.attributes))
            return
        found = self.matching(row.key, row.attributes) if row.key else []
        if row.operation == "delete":
            for match in found:
                self.recipients.pop(int(match["id"]), None)
                self.subscriptions = {s for s in self.subscriptions if s[0] != int(match["id"])}
        elif found:
            if row.operation == "upsert":
                found[0].update({k: v for k, v in normalise(row.attributes).items() if k != "id"})
        elif "id" not in row.key:
            self.add_recipient({k: v for k, v in row.attributes.items() if k != "id"})

    def _apply_subscription(self, row: Staged) -> None:
        found = self.matching(row.key, row.attributes)
        if not found and row.operation == "subscribe" and row.attributes.get("create") == "1":
            found = [self.add_recipient({k: v for k, v in row.attributes.items() if k in RECIPIENT_FIELDS})]
        for recipient in found[:1]:
            if not row.service:  # Unsubscribe from no named service: the denylist
                recipient["blackList"] = "1"
                continue
            entry = (int(recipient["id"]), row.service)
            if row.operation == "subscribe":
                self.subscriptions.add(entry)
            else:
                self.subscriptions.discard(entry)

    # -- views of the state --------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            emails = {rid: row.get("email", "") for rid, row in self.recipients.items()}
            return {
                "recipients": sorted(self.recipients.values(), key=lambda row: int(row["id"])),
                "subscriptions": sorted([emails.get(rid, ""), name] for rid, name in self.subscriptions),
                "services": sorted(self.services.values(), key=lambda row: row["name"]),
                "staging": [row.as_json() for row in self.staging],
                "tables": self.tables,
                "events": list(self.events),
                "privacy_requests": [dict(request) for request in self.privacy_requests],
                "sessions": len(self.sessions),
                "replications": self.replications,
            }


STORE = Store()
