"""Issued IMS tokens, in memory and thread-safe (see the package docstring)."""

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

TokenStatus = Literal["ok", "missing", "invalid", "expired"]


@dataclass(frozen=True)
class Issued:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


def configured_clients() -> dict[str, str]:
    """client id -> secret, from EMULATOR_IMS["CLIENTS"] ("id:secret,id2:secret2")."""
    raw = getattr(settings, "EMULATOR_IMS", {}).get("CLIENTS", "emulator-client-id:emulator-client-secret")
    pairs = (item.strip().partition(":") for item in str(raw).split(",") if item.strip())
    return {client_id: secret for client_id, _sep, secret in pairs if client_id and secret}


def default_lifetime() -> int:
    return int(getattr(settings, "EMULATOR_IMS", {}).get("TOKEN_SECONDS", 86399))


class TokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, Issued] = {}
        self.issued = 0

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self.issued = 0

    def issue(self, client_id: str, scopes: tuple[str, ...], lifetime: int) -> tuple[str, int]:
        token = "eyJ-emulated-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = Issued(client_id, scopes, time.time() + lifetime)
            self.issued += 1
        return token, lifetime

    def expire_all(self) -> int:
        """Every token issued so far stops working at once."""
        with self._lock:
            count = len(self._tokens)
            self._tokens = {key: Issued(i.client_id, i.scopes, 0.0) for key, i in self._tokens.items()}
        return count

    def status(self, token: str) -> TokenStatus:
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return "invalid"
        return "ok" if time.time() < issued.expires_at else "expired"

    def client_of(self, token: str) -> str | None:
        with self._lock:
            issued = self._tokens.get(token)
        return issued.client_id if issued else None

    def summary(self) -> dict[str, object]:
        now = time.time()
        with self._lock:
            active = sum(1 for issued in self._tokens.values() if issued.expires_at > now)
            return {"issued": self.issued, "active": active}


TOKENS = TokenStore()


def token_status(authorization: str | None) -> TokenStatus:
    """What the gateway makes of an `Authorization` header."""
    if not authorization or not authorization.startswith("Bearer ") or not authorization[7:].strip():
        return "missing"
    return TOKENS.status(authorization[7:].strip())
