"""The bodies of control requests (`control.py`), read strictly: a value of
the wrong type, out of range, or a field no control knows is a `BadControl`,
which the control view answers 400 with the reason."""

import math
from collections.abc import Mapping
from typing import Any


class BadControl(ValueError):
    """A control request the emulator refuses: answered 400."""


# --- values ---------------------------------------------------------------------


def an_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadControl(f"{what} must be a JSON object")
    return value


def objects_in(value: Any, what: str) -> list[dict[str, Any]]:
    """One JSON object, or a list of them."""
    return [an_object(item, what) for item in (value if isinstance(value, list) else [value])]


def only_fields(data: Mapping[str, Any], known: tuple[str, ...], what: str) -> None:
    for name in data:
        if name not in known:
            raise BadControl(f"unknown {what} {name!r} (known: {', '.join(known)})")


def number(value: Any, name: str, minimum: float = 0.0, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadControl(f"{name} must be a number, not {value!r}")
    # JSON as Python reads it has NaN, Infinity and integers no float holds:
    # none is a latency, a share or a count anyone meant.
    try:
        finite = float(value)
    except OverflowError:
        finite = math.inf
    if not math.isfinite(finite):
        raise BadControl(f"{name} must be a finite number")
    if finite < minimum or (maximum is not None and finite > maximum):
        bounds = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise BadControl(f"{name} must be {bounds}, not {value!r}")
    return finite


def whole(value: Any, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadControl(f"{name} must be a whole number, not {value!r}")
    return int(number(value, name, minimum, maximum))


def text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise BadControl(f"{name} must be a string, not {value!r}")
    return value


def header_text(value: Any, name: str) -> str:
    """Text an injected answer sends as a header: no line break or control character."""
    header = text(value, name)
    if any(ord(char) < 32 or ord(char) == 127 for char in header):
        raise BadControl(f"{name} must be one line of text, without control characters")
    return header


def seconds(value: Any, name: str) -> float:
    return number(value, name)


def share(value: Any, name: str) -> float:
    return number(value, name, 0.0, 1.0)


def retry_after_header(value: Any) -> str:
    """Seconds, or the header's text as given (an HTTP date)."""
    if isinstance(value, str) and value:
        return header_text(value, "retry_after")
    return str(whole(value, "retry_after"))


# --- bodies of the API-specific controls ------------------------------------------------


def parse_services(data: Any) -> list[tuple[str, str]]:
    """(name, label) pairs from `{"name", "label"}`, a list of them, or
    `{"count": N, "prefix": "SVC"}` (SVC1 ... SVCN)."""
    if isinstance(data, dict) and "count" in data:
        only_fields(data, ("count", "prefix"), "services field")
        count = whole(data["count"], "count", minimum=1, maximum=1000)
        prefix = text(data.get("prefix", "SVC"), "prefix")
        return [(f"{prefix}{n}", f"{prefix} {n}") for n in range(1, count + 1)]
    services = []
    for item in objects_in(data, "a service"):
        only_fields(item, ("name", "label"), "service field")
        name = text(item.get("name"), "name")
        if not name:
            raise BadControl("a service needs a name")
        services.append((name, text(item.get("label", name), "label")))
    return services


def parse_rows(data: Any, known: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of attributes (one object or a list), every value as text."""
    rows = []
    for item in objects_in(data, "a row"):
        only_fields(item, known, "attribute")
        rows.append({name: str(value) for name, value in item.items()})
    return rows
