"""A client of the emulators' one control API (signup_site/emulator/control.py),
over HTTP like any client: the same methods steer the emulated ACS, v8 and IMS.
`acs_support.Emulator` and `v8_support.V8Emulator` add what is their own."""

from typing import Any

import requests

TIMEOUT = (3.05, 10)


class Controls:
    """`<base>/_control/<name>` of one emulator; `service` names its journal entries."""

    def __init__(self, base: str, service: str, http: requests.Session | None = None) -> None:
        self.base = base
        self.service = service
        self.http = http or requests.Session()

    def control(self, name: str, data: Any = None, method: str = "POST", **params: Any) -> Any:
        """One control request; anything but a 200 fails the test, with the emulator's reason."""
        body = (data if data is not None else {}) if method == "POST" else None
        url = f"{self.base}/_control/{name}"
        response = self.http.request(method, url, json=body, params=params or None, timeout=TIMEOUT)
        assert response.status_code == 200, f"{method} {url}: {response.status_code} {response.text}"
        return response.json()

    def reset(self) -> None:
        self.control("reset")

    def knobs(self, **knobs: Any) -> dict[str, Any]:
        """Set these knobs (none: only read them); answers every knob."""
        answer: dict[str, Any] = (
            self.control("knobs", knobs) if knobs else self.control("knobs", method="GET")
        )
        return answer

    def fault(self, **rule: Any) -> None:
        self.control("faults", rule)

    def throttle(self, times: int, retry_after: int) -> None:
        self.knobs(throttle={"times": times, "retry_after": retry_after})

    def expire(self, *, tokens: bool = True, sessions: bool = True) -> dict[str, int]:
        expired: dict[str, int] = self.control("expire", {"tokens": tokens, "sessions": sessions})
        return expired

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.control("state", method="GET")
        return state

    def paused(self) -> int:
        """How many calls are waiting out a latency or a fault's delay now."""
        paused: int = self.state()["paused"]
        return paused

    def log(self, *services: str) -> list[dict[str, Any]]:
        """What reached these services (default: this emulator), in order."""
        entries: list[dict[str, Any]] = self.control(
            "log", method="GET", service=list(services or (self.service,))
        )["entries"]
        return entries

    def clear_log(self, *services: str) -> None:
        self.control("log", method="DELETE", service=list(services or (self.service,)))
