"""What reached the emulators: one in-memory, thread-safe log of requests
shared by the emulated IMS, ACS and v8, in arrival order, for tests and for
the `_control/log` endpoints. Tests assert on it ("what reached Campaign").
"""

import itertools
import json
import os
import threading
import time
from typing import Any

from django.http import HttpRequest

# The newest entries kept. A bench that counts every call of a burst (tens of
# thousands) raises it with EMULATOR_JOURNAL_ENTRIES: with the default, its
# counts would stop at the cap and say less reached Campaign than did.
MAX_ENTRIES = int(os.environ.get("EMULATOR_JOURNAL_ENTRIES", "5000"))


class Journal:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._sequence = itertools.count(1)

    def record(self, service: str, request: HttpRequest, status: int, path: str, **extra: Any) -> None:
        """Log one request `service` answered with `status`; `path` is relative to its mount."""
        entry = {
            "service": service,
            "method": request.method,
            "path": path,
            "query": {key: request.GET.getlist(key) for key in request.GET},
            "status": status,
            "body": body_of(request),
            "api_key": request.headers.get("X-Api-Key", ""),
            "bearer": request.headers.get("Authorization", "").startswith("Bearer "),
            "cache_control": request.headers.get("Cache-Control", ""),
            "user_agent": request.headers.get("User-Agent", ""),
            "at": time.time(),
            **extra,
        }
        with self._lock:
            entry["seq"] = next(self._sequence)
            self._entries.append(entry)
            del self._entries[: -self._max_entries]

    def entries(self, *services: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries if not services or e["service"] in services]

    def clear(self, *services: str) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if services and e["service"] not in services]


def body_of(request: HttpRequest) -> Any:
    """The request body as JSON when it is JSON, else its text (cut short)."""
    raw = request.body
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:2000]


JOURNAL = Journal()
