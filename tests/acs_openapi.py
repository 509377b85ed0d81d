"""What reached the ACS emulator, checked against the OpenAPI document that
Adobe's SDK ships (`@adobe/aio-lib-campaign-standard` 4.0.3,
`spec/api.json`, installed by `make node_modules/.installed`).

That document is OpenAPI 3.0.0, but not a valid one: its `{EXT}` and
`{FILTERS}` path parameters are `required: false` with a default of "", i.e.
optional path segments (OpenAPI requires every path parameter). So it is read
here with `jsonschema` for the parameter and body schemas and a small path
matcher, rather than with openapi-core, which would need its spec validation
switched off, still match no path written the way Adobe's pages write it
(`/profileAndServices/profile`, no trailing slash), accept `_lineCount=abc`,
and bring some twenty packages with it. The matcher's readings, each one
explicit:

- an optional parameter matches an empty segment; an optional *last*
  segment may be left out with its slash (`/profileAndServices/profile` is
  `.../profile/{FILTERS}` with no filter, as the SDK's own `getAllProfiles()`
  sends `.../profile/`);
- `/{RELATIVE_URL}` (`getDataFromRelativeUrl`) is not used: a catch-all
  matches any one-segment path and would make the check vacuous;
- undeclared query parameters are checked against the `freeForm` object
  parameter where the operation has one (`byEmail?email=`,
  `byText?text=`, `_lineStart` in `next` links), and refused elsewhere;
- the document's `security` is "X-Api-Key *or* bearer"; Adobe's "Setting up
  API access" asks for both, and so does this check;
- most operations (createProfile, updateProfile, sendTransactionalEvent...)
  declare no requestBody although the SDK sends one: there a body must be a
  JSON object, and no more can be checked.

`EXCEPTIONS` lists the requests Adobe's document does not describe at all
and the client must still send: links the API returns, which the guide says
to follow ("do not try to build an URL by yourself"). Each names its page
and checks the body that page shows.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).resolve().parent.parent / (
    "node_modules/@adobe/aio-lib-campaign-standard/spec/api.json"
)
SPEC_URI = "urn:aio-lib-campaign-standard:spec"
PKEY = r"@[^/]+"
CATCH_ALL = "/{RELATIVE_URL}"


@dataclass(frozen=True)
class Undeclared:
    """A request the SDK's document does not declare, and why it is sent anyway."""

    method: str
    path: re.Pattern[str]
    why: str
    body: dict[str, Any] | None = None  # the JSON schema of the body Adobe's page shows
    query: frozenset[str] = frozenset()  # the query parameters its `next` links may add


# "Pagination": the `next` link of any collection carries these.
PAGINATION = frozenset({"_lineCount", "_lineStart"})
SERVICE_REF = {
    "type": "object",
    "required": ["service"],
    "properties": {
        "service": {"type": "object", "required": ["PKey"], "properties": {"PKey": {"type": "string"}}}
    },
    "additionalProperties": False,
}
EXCEPTIONS = (
    Undeclared(
        "GET",
        re.compile(rf"/profileAndServices/profile/{PKEY}/subscriptions/?"),
        'a profile\'s `subscriptions.href` ("Retrieving subscriptions"); the document has no subscriptions',
        query=PAGINATION,
    ),
    Undeclared(
        "POST",
        re.compile(rf"/profileAndServices/profile/{PKEY}/subscriptions/?"),
        'subscribe through the profile\'s `subscriptions.href` ("Performing subscriptions", method 1)',
        body=SERVICE_REF,
    ),
    Undeclared(
        "DELETE",
        re.compile(rf"/profileAndServices/service/{PKEY}/subscriptions/{PKEY}"),
        'unsubscribe: DELETE on the subscription\'s own `href` ("Deleting subscriptions")',
    ),
    Undeclared(
        "GET",
        re.compile(rf"/profileAndServices/history/{PKEY}/events/?"),
        'a profile\'s marketing history: its `events.href` ("Interacting with marketing history")',
        query=PAGINATION,
    ),
    Undeclared(
        "GET",
        re.compile(rf"/mc\w+/EVT\w+/{PKEY}"),
        'an event\'s status by GET, as "Transactional messages" shows it (the SDK POSTs)',
    ),
    Undeclared(
        "GET",
        re.compile(rf"/privacy/privacyTool/{PKEY}"),
        'a privacy request\'s own `href`, read for its status ("Monitoring a privacy request")',
    ),
)


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    operation_id: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None


@dataclass(frozen=True)
class Spec:
    organization_pattern: re.Pattern[str]  # the server URL's path, `/{ORGANIZATION}/campaign`
    routes: tuple[Route, ...]
    registry: Registry[Any]


def _resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """An object, or the one its local `$ref` points at."""
    ref = item.get("$ref")
    if not isinstance(ref, str):
        return item
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    resolved: dict[str, Any] = target
    return resolved


def _pattern(template: str, parameters: Iterable[dict[str, Any]]) -> re.Pattern[str]:
    required = {p["name"]: p.get("required", False) for p in parameters if p["in"] == "path"}
    regex = ""
    parts = re.split(r"\{(\w+)\}", template)
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
            continue
        last = index == len(parts) - 2 and not parts[-1]
        group = f"(?P<{part}>[^/]+)" if required.get(part) else f"(?P<{part}>[^/]*)"
        if last and not required.get(part) and regex.endswith("/"):
            regex = regex[:-1] + f"(?:/{group})?"
        else:
            regex += group
    return re.compile(regex)


@cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    document = json.loads(path.read_text())
    assert document["openapi"].startswith("3.0"), document["openapi"]
    routes = []
    for template, item in document["paths"].items():
        if template == CATCH_ALL:
            continue
        shared = [_resolve(document, p) for p in item.get("parameters", [])]
        for method, operation in item.items():
            if method == "parameters":
                continue
            own = [_resolve(document, p) for p in operation.get("parameters", [])]
            merged = {(p["name"], p["in"]): p for p in [*shared, *own]}
            body = operation.get("requestBody")
            routes.append(
                Route(
                    method=method.upper(),
                    template=template,
                    operation_id=operation["operationId"],
                    pattern=_pattern(template, merged.values()),
                    parameters=tuple(merged.values()),
                    request_body=_resolve(document, body) if body else None,
                )
            )
    server_path = re.sub(r"^\w+://[^/]+", "", document["servers"][0]["url"])
    organization = _pattern(server_path, [{"name": "ORGANIZATION", "in": "path", "required": True}])
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    return Spec(
        organization_pattern=organization,
        routes=tuple(routes),
        registry=Registry().with_resource(SPEC_URI, resource),
    )


def _schema_errors(spec: Spec, schema: dict[str, Any], value: Any) -> list[str]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        # A schema taken out of the document: its local $ref points back into it.
        schema = {**schema, "$ref": SPEC_URI + ref}
    validator = Draft4Validator(schema, registry=spec.registry)
    return [error.message for error in validator.iter_errors(value)]


def _typed(schema: dict[str, Any], raw: str) -> Any:
    """A query or path value as its schema's type reads it (all arrive as text)."""
    if schema.get("type") == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def _route_problems(spec: Spec, route: Route, found: re.Match[str], entry: dict[str, Any]) -> list[str]:
    problems = []
    query: dict[str, list[str]] = dict(entry.get("query") or {})
    free_form = None
    for parameter in route.parameters:
        schema = parameter.get("schema", {})
        name = parameter["name"]
        if parameter["in"] == "path":
            value = found.group(name) or schema.get("default", "")
            problems += [f"path {name}: {e}" for e in _schema_errors(spec, schema, _typed(schema, value))]
        elif parameter["in"] == "query" and schema.get("type") == "object":
            free_form = parameter
        elif parameter["in"] == "query" and name in query:
            values = query.pop(name)
            if len(values) != 1:
                problems.append(f"query {name} given {len(values)} times")
            value = _typed(schema, values[0])
            problems += [f"query {name}: {e}" for e in _schema_errors(spec, schema, value)]
        elif parameter.get("required") and parameter["in"] == "query":
            problems.append(f"query {name} is required")
    if query:
        if free_form is None:
            problems.append(f"query parameters {sorted(query)} are not declared")
        else:
            singles = {key: values[0] if len(values) == 1 else values for key, values in query.items()}
            problems += [f"query: {e}" for e in _schema_errors(spec, free_form["schema"], singles)]
    problems += _body_problems(spec, route.request_body, entry)
    return problems


def _body_problems(spec: Spec, declared: dict[str, Any] | None, entry: dict[str, Any]) -> list[str]:
    body = entry.get("body")
    if declared is None:
        if body is not None and not isinstance(body, dict):
            return [f"the body is not a JSON object: {str(body)[:80]!r}"]
        return []
    if body is None:
        return ["a body is required"] if declared.get("required") else []
    media_type = (entry.get("content_type") or "").split(";")[0].strip().lower()
    content = declared.get("content", {})
    if media_type not in content:
        return [f"Content-Type {media_type or '(none)'} is not one of {sorted(content)}"]
    schema = content[media_type].get("schema", {})
    return [f"body: {e}" for e in _schema_errors(spec, schema, body)]


def problems_with(entry: dict[str, Any], organization: str, spec: Spec | None = None) -> list[str]:
    """Why one journal entry of the ACS emulator is not a request the SDK's
    OpenAPI document (or `EXCEPTIONS`) allows; [] when it is."""
    spec = spec or load_spec()
    method, full_path = entry["method"], entry["path"]
    where = f"{method} {full_path}"
    problems = []
    if not entry.get("api_key") or not entry.get("bearer"):
        problems.append(f"{where}: needs both X-Api-Key and a bearer token")
    server = spec.organization_pattern.match(full_path)
    if server is None or server.group("ORGANIZATION") != organization:
        return [*problems, f"{where}: not under /{organization}/campaign"]
    path = full_path[server.end() :]
    for exception in EXCEPTIONS:
        if exception.method == method and exception.path.fullmatch(path):
            unknown = sorted(set(entry.get("query") or {}) - exception.query)
            if unknown:
                problems.append(f"{where}: query {unknown} on a link the API returned")
            body = entry.get("body")
            if exception.body is not None:
                problems += [f"{where}: body: {e}" for e in _schema_errors(spec, exception.body, body)]
            elif body is not None:
                problems.append(f"{where}: a body where Adobe's page shows none")
            return problems
    candidates = [(route, found) for route in spec.routes if (found := route.pattern.fullmatch(path))]
    if not candidates:
        return [*problems, f"{where}: no such path in the SDK's OpenAPI document"]
    allowed = [(route, found) for route, found in candidates if route.method == method]
    if not allowed:
        declared = sorted({f"{r.method} {r.template}" for r, _ in candidates})
        return [*problems, f"{where}: {method} is not declared there (only {', '.join(declared)})"]
    # Several templates may match (a PKey is also a `{FILTERS}` value): any one will do.
    reasons = []
    for route, found in allowed:
        route_problems = _route_problems(spec, route, found, entry)
        if not route_problems:
            return problems
        reasons.append(f"{where} as {route.operation_id}: {'; '.join(route_problems)}")
    return [*problems, *reasons]


def journal_problems(entries: Iterable[dict[str, Any]], organization: str) -> list[str]:
    """Every problem of every entry, in order."""
    return [problem for entry in entries for problem in problems_with(entry, organization)]
