"""Small pieces the `acs` and `v8` backends share: the `message=value`
settings that map the site's messages onto Campaign's, and the `Retry-After`
header both APIs send with a 429."""

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from ..errors import CampaignAuthError


def parse_message_map(raw: str, *, setting: str, form: str) -> dict[str, str]:
    """`"welcome=A, special-offer.es=B"` -> `{"welcome": "A", "special-offer.es": "B"}`.

    Keys are message names, optionally with a language (`welcome.es`); commas
    or newlines separate the pairs. A malformed pair raises `CampaignAuthError`
    naming `setting` and the expected `form` (e.g. `message=EVTid`).
    """
    pairs: dict[str, str] = {}
    for item in raw.replace("\n", ",").split(","):
        if not item.strip():
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name or not value:
            raise CampaignAuthError(f"{setting}: {item.strip()!r} is not {form}")
        pairs[name] = value
    return pairs


def for_message(pairs: Mapping[str, str], message: str, language: str = "") -> str | None:
    """The value for a message, in the person's language when one is configured."""
    return pairs.get(f"{message}.{language}") or pairs.get(message)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
