"""`manage.py campaign collection`: the requests the site makes to Campaign, as
a Postman Collection v2.1 (https://schema.getpostman.com/json/collection/v2.1.0/)
and an environment file, for newman, Postman, Bruno and Insomnia.

Built like Adobe's own "KB_postman_collection.json" of the Campaign Standard
API guide: Adobe's placeholders (`<ORGANIZATION>`, `<API_KEY>`,
`<ACCESS_TOKEN>`, `<PKEY>`) become variables (`{{ORGANIZATION}}`, ...), the
folders carry Adobe's names, and each request has tests that check its answer
and pass what the next request needs along (the token request sets
ACCESS_TOKEN, creating a profile sets PKEY and its subscriptions link).
Values chained from one answer to the next are collection variables, so the
collection also runs without the environment file; the environment file holds
the settings of the configured backend, secrets left empty unless asked for.
"""

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
VARIABLE = re.compile(r"\{\{(\w+)\}\}")
# A stable namespace: the same configuration exports the same ids, so a
# re-import replaces the collection in Postman instead of adding a copy.
NAMESPACE = uuid.UUID("6f1d7f0e-4d0c-4b8e-9a51-2b1c0f0c5a10")


@dataclass(frozen=True)
class Setting:
    """One environment value: `secret` ones are exported empty unless asked for."""

    key: str
    value: str
    secret: bool = False


@dataclass(frozen=True)
class Request:
    """One request of the collection and the tests on its answer (JavaScript lines)."""

    name: str
    method: str
    url: str
    tests: Sequence[str]
    headers: Sequence[tuple[str, str]] = ()
    body: str | None = None
    form: Sequence[tuple[str, str]] = ()
    auth: dict[str, Any] | None = None
    description: str = ""

    def variables(self) -> set[str]:
        text = " ".join([self.url, self.body or "", *(v for _, v in [*self.headers, *self.form])])
        return set(VARIABLE.findall(text))


@dataclass(frozen=True)
class Folder:
    name: str
    requests: Sequence[Request]
    description: str = ""


@dataclass(frozen=True)
class Collection:
    name: str
    description: str
    folders: Sequence[Folder]
    settings: Sequence[Setting]
    chained: Sequence[str]  # variables the tests set, with an empty default
    auth: dict[str, Any] | None = None
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Requests by folder."""
        return {folder.name: len(folder.requests) for folder in self.folders}


def bearer(token: str) -> dict[str, Any]:
    return {"type": "bearer", "bearer": [{"key": "token", "value": token, "type": "string"}]}


NO_AUTH: dict[str, Any] = {"type": "noauth"}


def url_object(raw: str) -> dict[str, Any]:
    """Postman's parsed URL (what the app itself exports): `raw`, `host`, `path`, `query`.

    `raw` alone is not enough: postman-collection (newman) reads the parts.
    The first segment is the host: `{{API_URL}}` or a whole link a test saved.
    """
    base, _, query = raw.partition("?")
    scheme, sep, rest = base.partition("://")
    host, *path = (rest if sep else base).split("/")
    if sep:
        host = f"{scheme}://{host}"
    parsed: dict[str, Any] = {"raw": raw, "host": [host]}
    if path:  # none for a saved link: an empty list would add a "/" to it
        parsed["path"] = path
    if query:
        parsed["query"] = [
            {"key": key, "value": value}
            for key, _, value in (pair.partition("=") for pair in query.split("&"))
        ]
    return parsed


def _item(request: Request, collection: str) -> dict[str, Any]:
    body: dict[str, Any] | None = None
    if request.form:
        body = {
            "mode": "urlencoded",
            "urlencoded": [{"key": key, "value": value, "type": "text"} for key, value in request.form],
        }
    elif request.body is not None:
        language = "xml" if request.body.lstrip().startswith("<") else "json"
        body = {"mode": "raw", "raw": request.body, "options": {"raw": {"language": language}}}
    built: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{collection}/{request.name}")),
        "name": request.name,
        "request": {
            "method": request.method,
            "header": [{"key": key, "value": value, "type": "text"} for key, value in request.headers],
            "url": url_object(request.url),
            "description": request.description,
        },
        "event": [
            {
                "listen": "test",
                "script": {"type": "text/javascript", "exec": list(request.tests)},
            }
        ],
        "response": [],
    }
    if body is not None:
        built["request"]["body"] = body
    if request.auth is not None:
        built["request"]["auth"] = request.auth
    return built


def to_postman(collection: Collection) -> dict[str, Any]:
    """The Postman Collection v2.1 document."""
    exported: dict[str, Any] = {
        "info": {
            "_postman_id": str(uuid.uuid5(NAMESPACE, collection.name)),
            "name": collection.name,
            "description": collection.description,
            "schema": SCHEMA,
        },
        "item": [
            {
                "name": folder.name,
                "description": folder.description,
                "item": [_item(request, collection.name) for request in folder.requests],
            }
            for folder in collection.folders
        ],
        "variable": [{"key": name, "value": "", "type": "string"} for name in collection.chained],
    }
    if collection.auth is not None:
        exported["auth"] = collection.auth
    return exported


def to_environment(collection: Collection, *, include_secrets: bool = False) -> dict[str, Any]:
    """A Postman environment with the configured backend's settings."""
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{collection.name}/environment")),
        "name": f"{collection.name} (environment)",
        "values": [
            {
                "key": setting.key,
                "value": setting.value if include_secrets or not setting.secret else "",
                "type": "secret" if setting.secret else "default",
                "enabled": True,
            }
            for setting in collection.settings
        ],
        "_postman_variable_scope": "environment",
    }


def undefined_variables(collection: Collection) -> set[str]:
    """Variables a request uses that neither the environment nor a test defines."""
    known = {setting.key for setting in collection.settings} | set(collection.chained)
    used: set[str] = set()
    for folder in collection.folders:
        for request in folder.requests:
            used |= request.variables()
    return used - known


def write(collection: Collection, out: Path, stem: str, *, include_secrets: bool = False) -> dict[str, Any]:
    """Write `<stem>.postman_collection.json` and `<stem>.postman_environment.json`
    into `out`; what was written, for the command's JSON report."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "collection": out / f"{stem}.postman_collection.json",
        "environment": out / f"{stem}.postman_environment.json",
    }
    documents = {
        "collection": to_postman(collection),
        "environment": to_environment(collection, include_secrets=include_secrets),
    }
    for kind, path in paths.items():
        path.write_text(json.dumps(documents[kind], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {
        "collection": str(paths["collection"]),
        "environment": str(paths["environment"]),
        "requests": collection.counts(),
        "secrets_included": include_secrets,
    }


def js_lines(*blocks: Iterable[str] | str) -> list[str]:
    """Script lines from strings and lists of strings."""
    lines: list[str] = []
    for block in blocks:
        lines.extend([block] if isinstance(block, str) else block)
    return lines
