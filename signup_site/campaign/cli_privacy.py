"""`manage.py campaign privacy create|status|list`: privacy requests filed with
the configured Campaign directly, by an operator (a request a person made by
email or phone, say). The site's own data is not touched: its "delete me"
goes through the outbox (`privacy.request_erasure`).

On acs and v8 these answer Campaign's request as it lists it; on any other
backend (`local`) through the backend interface (`request_erasure`,
`erasure_status`), which knows delete requests only.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError

from .backends.base import CampaignBackend, ErasureRequest
from .cli import ACS, V8, Parsers, _examples
from .config import REGULATIONS, privacy_config

KINDS = ("delete", "access")


def add_privacy(areas: Parsers) -> None:
    privacy = areas.add_parser(
        "privacy", help="privacy requests: access or delete a person's data in Campaign"
    )
    verbs = privacy.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser(
        "create",
        help="file a privacy request with Campaign (not with this site's data)",
        **_examples(
            "privacy create --email jane@example.com",
            "privacy create --email jane@example.com --type access --regulation ccpa",
        ),
    )
    create.add_argument("--email", required=True, help="the reconciliation value: the person's address")
    create.add_argument("--regulation", metavar="|".join(REGULATIONS), help="default: PRIVACY_REGULATION")
    create.add_argument(
        "--namespace", help="a namespace defined in Campaign (default: ACS_ or V8_PRIVACY_NAMESPACE)"
    )
    create.add_argument(
        "--type",
        default="delete",
        dest="kind",
        metavar="delete|access",
        help="default: delete; access: acs, v8",
    )
    create.add_argument("--name", help="acs: the request's unique name (default: a new one)")
    verbs.add_parser(
        "status",
        help="a privacy request's status",
        **_examples("privacy status SIGNUP-CLI-1a2b3c4d5e6f", "privacy status 1042"),
    ).add_argument("request", help="acs: the name or href `privacy create` printed; v8: its id")
    verbs.add_parser(
        "list", help="every privacy request, following `next` (acs, v8)", **_examples("privacy list")
    )


@dataclass(frozen=True)
class _Create:
    email: str
    regulation: str
    namespace: str | None
    kind: str
    name: str


def _create_options(options: dict[str, Any]) -> _Create:
    email = (options.get("email") or "").strip()
    if "@" not in email:
        raise CommandError("--email takes the person's address, e.g. jane@example.com", returncode=2)
    regulation = options.get("regulation") or privacy_config().regulation
    if regulation not in REGULATIONS:
        raise CommandError(f"--regulation is one of {', '.join(REGULATIONS)}", returncode=2)
    if options["kind"] not in KINDS:
        raise CommandError("--type is delete or access", returncode=2)
    name = options.get("name") or "SIGNUP-CLI-" + uuid.uuid4().hex[:12]
    return _Create(email, regulation, options.get("namespace"), options["kind"], name)


def _backend_name(backend: CampaignBackend) -> str:
    return f"{type(backend).__module__.rsplit('.', 1)[0]}.{type(backend).__name__}"


def run(verb: str, options: dict[str, Any], backend: CampaignBackend) -> Any:
    """The privacy subcommands' result (JSON-able)."""
    kind = _backend_name(backend)
    create = _create_options(options) if verb == "create" else None
    if kind == ACS:
        from .backends.acs import resources

        acs: Any = backend
        if create is not None:
            fields = {
                "name": create.name,
                "namespaceName": create.namespace or privacy_config().acs_namespace,
                "reconciliationValue": create.email,
                "regulation": create.regulation,
                "type": create.kind,
                "label": f"Filed with manage.py campaign privacy ({create.name})",
            }
            return resources.create_privacy_request(acs, fields)
        if verb == "status":
            return resources.privacy_request(acs, options["request"])
        return resources.list_privacy_requests(acs)
    if kind == V8:
        from .backends.v8 import operator

        v8: Any = backend
        if create is not None:
            return operator.create_privacy_request(
                v8,
                namespace=create.namespace or privacy_config().v8_namespace,
                email=create.email,
                kind=create.kind,
                regulation=create.regulation,
            )
        if verb == "status":
            return operator.privacy_request(v8, options["request"])
        return operator.list_privacy_requests(v8)
    return _through_the_interface(verb, options, backend, create)


def _through_the_interface(
    verb: str, options: dict[str, Any], backend: CampaignBackend, create: _Create | None
) -> dict[str, Any]:
    if create is not None:
        if create.kind != "delete" or create.namespace:
            raise CommandError(
                "this backend files delete requests only, without a namespace: "
                "--type access and --namespace need CAMPAIGN_BACKEND=acs or v8",
                returncode=2,
            )
        reference = backend.request_erasure(
            ErasureRequest(name=create.name, email=create.email, regulation=create.regulation)
        )
        return {"name": create.name, "reference": reference, "type": "delete", **_status(backend, reference)}
    if verb == "status":
        return {"reference": options["request"], **_status(backend, options["request"])}
    raise CommandError("privacy list needs CAMPAIGN_BACKEND=acs or v8", returncode=2)


def _status(backend: CampaignBackend, reference: str) -> dict[str, Any]:
    status = backend.erasure_status(reference)
    return {"status": status.state, "done": status.done}
