"""`manage.py campaign ...`: Campaign from a terminal, through whichever backend
is configured (or `--backend`), the way Adobe's Postman request collection
exercises the API. Prints JSON on stdout; errors go to stderr with an exit
code per kind of failure:

    0 done   1 other Campaign error   2 usage   3 not found
    4 rejected (bad data)   5 unavailable (retry later)   6 auth / configuration

Examples (`manage.py campaign <subcommand> --help` shows one for each):
    manage.py campaign check
    manage.py campaign profile find jane@example.com
    manage.py campaign profile create --email jane@example.com --first-name Jane --language en
    manage.py campaign profile patch @pkey --last-name Doe --blacklist-email false
    manage.py campaign profile patch @pkey --set phone=3301020304 --set cusLoyaltyTier=gold
    manage.py campaign profile list --line-count 10 --pages 2
    manage.py campaign services
    manage.py campaign subscribe @pkey NEWSLETTER
    manage.py campaign event send welcome --email jane@example.com --ctx firstName=Jane
    manage.py campaign event status welcome @eventPKey
    manage.py campaign history @pkey
    manage.py campaign metadata profile --ext
    manage.py campaign v8 ingest --file row.xml
    manage.py campaign collection --out var/postman
    manage.py campaign privacy create --email jane@example.com --type access
    manage.py campaign privacy status SIGNUP-CLI-1a2b3c4d5e6f
    manage.py campaign privacy list
"""

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from signup_site.campaign import cli, cli_privacy
from signup_site.campaign.backends import get_backend, load_backend
from signup_site.campaign.backends.base import CampaignBackend, Message, ProfileFields
from signup_site.campaign.errors import (
    CampaignAuthError,
    CampaignError,
    CampaignRejected,
    CampaignUnavailable,
    ProfileNotFound,
)
from signup_site.campaign.probe import run_checks

EXIT_CODES: list[tuple[type[CampaignError], int, str]] = [
    (ProfileNotFound, 3, "not found"),
    (CampaignRejected, 4, "rejected"),
    (CampaignUnavailable, 5, "unavailable, try again later"),
    (CampaignAuthError, 6, "credentials or configuration"),
    (CampaignError, 1, "Campaign error"),
]


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off"}:
        return False
    raise ValueError(value)


def _profile_options(parser: CommandParser, *, email_required: bool) -> None:
    parser.add_argument("--email", required=email_required)
    parser.add_argument("--first-name")
    parser.add_argument("--last-name")
    parser.add_argument("--language", help="the site's language code, e.g. en or es")


def _fields(options: dict[str, Any]) -> ProfileFields:
    blacklist = options.get("blacklist_email")
    return ProfileFields(
        email=options.get("email"),
        first_name=options.get("first_name"),
        last_name=options.get("last_name"),
        language=options.get("language"),
        blacklist_email=_bool(blacklist) if blacklist is not None else None,
    )


def _context(options: dict[str, Any]) -> dict[str, str]:
    context: dict[str, str] = {}
    if options.get("ctx_json"):
        try:
            loaded = json.loads(options["ctx_json"])
        except ValueError:
            raise CommandError("--ctx-json is not valid JSON", returncode=2) from None
        if not isinstance(loaded, dict):
            raise CommandError("--ctx-json must be a JSON object", returncode=2)
        context.update({str(key): str(value) for key, value in loaded.items()})
    for item in options.get("ctx") or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--ctx takes key=value, not {item!r}", returncode=2)
        context[key] = value
    return context


class Command(BaseCommand):
    help = (
        "Talk to Campaign through the configured backend: profiles, services, subscriptions, events, "
        "privacy requests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.epilog = "exit status: 0 done, 2 usage, " + ", ".join(
            f"{code} {meaning}" for _, code, meaning in EXIT_CODES
        )
        parser.add_argument("--backend", help="local, acs, v8 or a dotted path (default: CAMPAIGN_BACKEND)")
        areas = parser.add_subparsers(dest="area", required=True)

        example = cli._examples
        profile = areas.add_parser("profile", help="create, get, patch, find or list profiles")
        verbs = profile.add_subparsers(dest="verb", required=True)
        _profile_options(
            verbs.add_parser(
                "create", help="create a profile", **example("profile create --email jane@example.com")
            ),
            email_required=True,
        )
        verbs.add_parser("get", help="read a profile by PKey", **example("profile get @pkey")).add_argument(
            "pkey"
        )
        patch = verbs.add_parser(
            "patch",
            help="change the given fields only",
            **example("profile patch @pkey --last-name Doe", "profile patch @pkey --set cusPhone=3301020304"),
        )
        patch.add_argument("pkey")
        _profile_options(patch, email_required=False)
        patch.add_argument(
            "--blacklist-email", metavar="true|false", help="opt out of (or back into) all email"
        )
        cli.add_patch_options(patch)
        verbs.add_parser(
            "find", help="the profile with this address", **example("profile find jane@example.com")
        ).add_argument("email")
        cli.add_profile_verbs(verbs)

        areas.add_parser(
            "check",
            help="verify the configured Campaign end to end: settings, credentials, services, a read",
            **example("check"),
        )
        areas.add_parser("services", help="list the services", **example("services"))
        areas.add_parser(
            "subscriptions", help="the services a profile is subscribed to", **example("subscriptions @pkey")
        ).add_argument("pkey")
        for verb in ("subscribe", "unsubscribe"):
            sub = areas.add_parser(
                verb, help=f"{verb} a profile (idempotent)", **example(f"{verb} @pkey NEWSLETTER")
            )
            sub.add_argument("pkey")
            sub.add_argument("service", help="the service's internal name, e.g. NEWSLETTER")
        cli.add_areas(areas)
        cli_privacy.add_privacy(areas)

        event = areas.add_parser("event", help="transactional messages")
        event_verbs = event.add_subparsers(dest="verb", required=True)
        send = event_verbs.add_parser(
            "send",
            help="send a transactional message",
            **example("event send welcome --email jane@example.com --ctx firstName=Jane"),
        )
        send.add_argument("message", help="the message name, e.g. welcome or special-offer")
        send.add_argument("--email", required=True)
        send.add_argument("--language", default="en")
        send.add_argument("--ctx", action="append", metavar="KEY=VALUE", help="a personalisation value")
        send.add_argument("--ctx-json", help="personalisation as a JSON object")
        cli.add_event_verbs(event_verbs)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self._run(options)
        except CampaignError as error:
            for kind, code, meaning in EXIT_CODES:
                if isinstance(error, kind):
                    raise CommandError(f"{meaning}: {error}", returncode=code) from None
            raise  # pragma: no cover - CampaignError is the last entry
        except ValueError as error:
            raise CommandError(f"not true or false: {error}", returncode=2) from None
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

    def _backend(self, name: str | None) -> CampaignBackend:
        return load_backend(name) if name else get_backend()

    def _check(self, options: dict[str, Any]) -> list[dict[str, object]]:
        steps = run_checks(lambda: self._backend(options.get("backend")))
        report = [step.as_dict() for step in steps]
        failed = next((step for step in steps if not step.ok), None)
        if failed is not None and failed.error is not None:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            raise failed.error
        return report

    def _run(self, options: dict[str, Any]) -> Any:
        if options["area"] == "check":
            return self._check(options)
        if options["area"] == "collection":
            return cli.export_collection(options, options.get("backend"))
        area, verb = options["area"], options.get("verb")
        if area in ("subscribe", "unsubscribe") and not options["service"].strip():
            # Refused whatever the backend: on v8, Unsubscribe without a service
            # name puts the person on the denylist, every channel (Adobe,
            # "Business oriented APIs").
            raise CommandError(f"{area}: the service name is empty (e.g. NEWSLETTER)", returncode=2)
        backend = self._backend(options.get("backend"))
        if area == "profile" and verb == "create":
            return asdict(backend.create_profile(_fields(options)))
        if area == "profile" and verb == "get":
            return asdict(backend.get_profile(options["pkey"]))
        if area == "profile" and verb == "patch":
            fields = _fields(options)
            extra = options.get("set_fields") or []
            if not fields.changed() and not extra:
                raise CommandError("nothing to change: give at least one field", returncode=2)
            result: dict[str, Any] = {"pkey": options["pkey"], "patched": fields.changed()}
            if fields.changed():
                backend.update_profile(options["pkey"], fields)
            if extra:
                result["set"] = cli.patch_fields(backend, options["pkey"], extra)
            return result
        if area == "profile" and verb == "find":
            found = backend.find_profile(options["email"])
            if found is None:
                raise ProfileNotFound("no profile with that address")
            return asdict(found)
        if area == "services":
            return [asdict(service) for service in backend.list_services()]
        if area == "subscriptions":
            return sorted(backend.subscriptions(options["pkey"]))
        if area in ("subscribe", "unsubscribe"):
            getattr(backend, area)(options["pkey"], options["service"])
            return {"pkey": options["pkey"], "service": options["service"], area + "d": True}
        if area == "event" and verb == "send":
            message = Message(
                name=options["message"],
                email=options["email"],
                language=options["language"],
                context=_context(options),
            )
            backend.send_message(message)
            return {"sent": message.name, "email": message.email}
        if area == "privacy":
            return cli_privacy.run(verb or "", options, backend)
        return cli.run(area, verb, options, backend)
