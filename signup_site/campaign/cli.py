"""The parts of `manage.py campaign` beyond the backend interface: the rest of
Adobe's request collection (list profiles, patch any field, an event's
status, marketing history, metadata; v8 staging documents) and the export of
the collection itself. Each works on the backends whose API has it and exits
2 (usage) on the others, saying which backend it needs.
"""

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from .backends.base import CampaignBackend
from .config import acs_config, campaign_config, v8_config

ACS = "signup_site.campaign.backends.acs.ACSBackend"
V8 = "signup_site.campaign.backends.v8.V8Backend"
Parsers = Any  # argparse's _SubParsersAction, private


def _examples(*lines: str) -> dict[str, Any]:
    return {
        "epilog": "example:\n  " + "\n  ".join(f"manage.py campaign {line}" for line in lines),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def field_value(item: str) -> tuple[str, Any]:
    """`name=text` (a string) or `name:=json` (true, 3, null, ...)."""
    name, sep, value = item.partition("=")
    if not sep or not name.rstrip(":"):
        raise CommandError(f"--set takes name=value or name:=json, not {item!r}", returncode=2)
    if name.endswith(":"):
        try:
            return name[:-1], json.loads(value)
        except ValueError:
            raise CommandError(f"--set {name}=: {value!r} is not JSON", returncode=2) from None
    return name, value


def add_profile_verbs(verbs: Parsers) -> None:
    listing = verbs.add_parser(
        "list",
        help="list profiles, following `next` (acs, v8)",
        **_examples("profile list --line-count 10 --pages 3"),
    )
    listing.add_argument("--line-count", type=int, default=25, help="profiles per page (_lineCount), 1-1000")
    listing.add_argument("--pages", type=int, default=1, help="how many pages to read at most")


def add_patch_options(patch: argparse.ArgumentParser) -> None:
    patch.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        dest="set_fields",
        help="any profile field as Campaign names it (name:=json for true, numbers, null); "
        "on acs a custom field (cus...) goes to profileAndServicesExt",
    )


def add_areas(areas: Parsers) -> None:
    areas.add_parser(
        "history",
        help="a profile's marketing history: its events (acs)",
        **_examples("history @pkey"),
    ).add_argument("pkey")
    metadata = areas.add_parser(
        "metadata",
        help="a resource's description: fields, types, enumerations (acs)",
        **_examples("metadata profile", "metadata profile --ext"),
    )
    metadata.add_argument("resource", help="e.g. profile or service")
    metadata.add_argument("--ext", action="store_true", help="profileAndServicesExt: with the custom fields")
    collection = areas.add_parser(
        "collection",
        help="write a Postman v2.1 collection and environment of the configured backend (acs, v8)",
        **_examples("collection --out var/postman"),
    )
    collection.add_argument("--out", required=True, type=Path, help="the directory to write into")
    collection.add_argument("--email", default="postman.collection@example.com", help="the test profile")
    collection.add_argument("--service", default="NEWSLETTER", help="the service to subscribe to")
    collection.add_argument("--event", default="welcome", help="a message of ACS_EVENTS, or an EVT id")
    collection.add_argument(
        "--include-secrets", action="store_true", help="write the client secret or password too"
    )
    v8 = areas.add_parser("v8", help="Campaign v8 only")
    v8_verbs = v8.add_subparsers(dest="verb", required=True)
    ingest = v8_verbs.add_parser(
        "ingest",
        help="send a staging document as given (xtk:session#Ingest, or #IngestExt with --ext)",
        **_examples("v8 ingest --file row.xml", "v8 ingest --ext --file row.xml"),
    )
    ingest.add_argument("--file", required=True, type=Path, help="one staging row, e.g. <recipientStg .../>")
    ingest.add_argument("--ext", action="store_true", help="IngestExt: insert or update by _key")


def add_event_verbs(verbs: Parsers) -> None:
    status = verbs.add_parser(
        "status", help="an event's status (acs)", **_examples("event status welcome @eventPKey")
    )
    status.add_argument("event", help="a message of ACS_EVENTS (e.g. welcome) or its EVT id")
    status.add_argument("pkey", help="the PKey `event send` answered")


def _needs(backend: CampaignBackend, *kinds: str) -> str:
    name = f"{type(backend).__module__.rsplit('.', 1)[0]}.{type(backend).__name__}"
    for kind in kinds:
        if name == kind:
            return kind
    wanted = " or ".join(kind.rsplit(".", 2)[-2] for kind in kinds)
    raise CommandError(f"this command needs CAMPAIGN_BACKEND={wanted}", returncode=2)


def patch_fields(backend: CampaignBackend, pkey: str, items: list[str]) -> dict[str, Any]:
    fields = dict(field_value(item) for item in items)
    if _needs(backend, ACS, V8) == ACS:
        from .backends.acs import resources

        return resources.patch_fields(backend, pkey, fields)  # type: ignore[arg-type]
    from .backends.v8 import operator

    return operator.patch_fields(backend, pkey, fields)  # type: ignore[arg-type]


def run(area: str, verb: str | None, options: dict[str, Any], backend: CampaignBackend) -> Any:
    """The new subcommands' result (JSON-able)."""
    if area == "profile" and verb == "list":
        if not 1 <= options["line_count"] <= 1000 or options["pages"] < 1:
            raise CommandError("--line-count is 1 to 1000, --pages at least 1", returncode=2)
        if _needs(backend, ACS, V8) == ACS:
            from .backends.acs import resources

            return resources.list_profiles(backend, line_count=options["line_count"], pages=options["pages"])  # type: ignore[arg-type]
        from .backends.v8 import operator

        return operator.list_profiles(backend, line_count=options["line_count"], pages=options["pages"])  # type: ignore[arg-type]
    if area in ("history", "metadata") or (area, verb) == ("event", "status"):
        _needs(backend, ACS)
        from .backends.acs import resources

        if area == "history":
            return resources.marketing_history(backend, options["pkey"])  # type: ignore[arg-type]
        if area == "metadata":
            return resources.metadata(backend, options["resource"], extended=options["ext"])  # type: ignore[arg-type]
        return resources.event_status(backend, options["event"], options["pkey"])  # type: ignore[arg-type]
    if (area, verb) == ("v8", "ingest"):
        _needs(backend, V8)
        from .backends.v8 import operator

        try:
            document = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}", returncode=2) from None
        return operator.ingest_document(backend, document, ext=options["ext"])  # type: ignore[arg-type]
    raise CommandError(f"unknown command {area} {verb or ''}".strip(), returncode=2)


def export_collection(options: dict[str, Any], backend_name: str | None) -> dict[str, Any]:
    """Write the configured backend's collection and environment into --out."""
    from .config import BACKEND_ALIASES
    from .postman import write
    from .postman.acs import acs_collection
    from .postman.v8 import v8_collection

    backend = BACKEND_ALIASES.get(backend_name or "", backend_name or "") or campaign_config().backend
    if backend == ACS:
        config = acs_config()
        event = options["event"]
        event_id = event if event.startswith("EVT") else config.event_id(event) or "EVT" + event
        collection = acs_collection(
            config, email=options["email"], service=options["service"], event_id=event_id
        )
        stem = "campaign-standard"
    elif backend == V8:
        collection = v8_collection(v8_config(), email=options["email"], service=options["service"])
        stem = "campaign-v8"
    else:
        raise CommandError("campaign collection needs CAMPAIGN_BACKEND=acs or v8", returncode=2)
    return write(collection, options["out"], stem, include_secrets=options["include_secrets"])
