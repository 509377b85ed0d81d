"""Consent evidence as CSV: for one person, a selection, or a date range.

The file is opened in spreadsheets, and a spreadsheet runs a cell that starts
with `=`, `+`, `-` or `@` as a formula (OWASP, "CSV Injection"). A user agent
or a source page is whatever the client sent, so every text cell that could
start one is prefixed with a `'`, which spreadsheets show as text.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import ConsentRecord, OptDownRecord

HEADER = (
    "recorded_at",
    "kind",
    "subscriber_id",
    "email",
    "topics",
    "language",
    "wording_version",
    "wording_sha256",
    "ip_address",
    "user_agent",
    "source",
    "signup_id",
)
# Tab and carriage return start a formula in some spreadsheets too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """A cell's text, made inert if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def evidence_rows(records: QuerySet[ConsentRecord]) -> Iterator[tuple[str, ...]]:
    """The header, then one escaped row per record, oldest first."""
    yield HEADER
    ordered = records.select_related("subscriber", "signup").order_by("created_at", "id")
    for record in ordered.iterator(chunk_size=500):
        row = (
            record.created_at.isoformat(),
            record.kind,
            record.subscriber.public_id,
            record.subscriber.email,
            " ".join(record.topics),
            record.language,
            record.wording_version,
            record.wording_sha256,
            record.ip_address,
            record.user_agent,
            record.source,
            record.signup.public_id if record.signup else "",
        )
        yield tuple(escape_cell(value) for value in row)


class _Line:
    """A file-like object whose `write` hands back the line, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """CSV text, one line at a time (a long range streams, never held whole)."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow(row)


def records_between(first: date, last: date) -> QuerySet[ConsentRecord]:
    """Consent records made from the start of `first` to the end of `last` (the site's time zone)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return ConsentRecord.objects.filter(created_at__gte=start, created_at__lt=end)


OPTDOWN_HEADER = (
    "recorded_at",
    "kind",
    "subscriber_id",
    "email",
    "choice",
    "previous",
    "wording",
    "wording_sha256",
    "language",
    "source",
    "ip_address",
    "user_agent",
    "undone_at",
)


def optdown_rows(records: QuerySet[OptDownRecord]) -> Iterator[tuple[str, ...]]:
    """Opt-down evidence (frequency and pause choices, undos), like `evidence_rows`."""
    yield OPTDOWN_HEADER
    for record in records.select_related("subscriber").order_by("created_at", "id").iterator(chunk_size=500):
        row = (
            record.created_at.isoformat(),
            record.kind,
            record.subscriber.public_id,
            record.subscriber.email,
            record.choice,
            record.previous,
            record.wording,
            record.wording_sha256,
            record.language,
            record.source,
            record.ip_address,
            record.user_agent,
            record.undone_at.isoformat() if record.undone_at else "",
        )
        yield tuple(escape_cell(value) for value in row)
