"""newman (pinned in package.json) and the postman-collection SDK it brings,
run with the machine's Node.js against the emulators on `live_server`.
Without Node.js or newman the tests skip, saying why; in CI (`CI=true`) they
fail instead."""

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
NEWMAN = ROOT / "node_modules" / "newman" / "bin" / "newman.js"
NEWMAN_VERSION = "6.2.2"  # package.json's
TIMEOUT_SECONDS = 120
# The SDK's own reading of a collection: folders, then requests as newman sees them.
READ_COLLECTION = """
const { Collection } = require('postman-collection');
const data = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
const collection = new Collection(data);
const folders = collection.items.map(folder => ({
  name: folder.name,
  requests: folder.items.map(item => ({
    name: item.name,
    method: item.request.method,
    url: item.request.url.toString(),
    tests: item.events.listeners('test').length,
  })),
}));
process.stdout.write(JSON.stringify({ name: collection.name, folders }));
"""


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        missing = "Node.js (`node`) is not installed"
    elif not NEWMAN.exists():
        missing = "newman is not installed: run `make node_modules/.installed`"
    else:
        version = json.loads((NEWMAN.parent.parent / "package.json").read_text())["version"]
        assert version == NEWMAN_VERSION, f"newman {version} installed, package.json pins {NEWMAN_VERSION}"
        return node
    if os.environ.get("CI") == "true":
        pytest.fail(f"newman must run in CI: {missing}")
    pytest.skip(f"newman cannot run: {missing}")


def _environment() -> dict[str, str]:
    # The emulators are on loopback: no proxy of the environment may stand in between.
    return {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}


def export(out: Path, *args: str) -> dict[str, Any]:
    """`manage.py campaign collection --out OUT ...`: its JSON report."""
    printed = StringIO()
    call_command("campaign", "collection", "--out", str(out), *args, stdout=printed)
    report: dict[str, Any] = json.loads(printed.getvalue())
    return report


def read_with_sdk(node: str, collection: str) -> dict[str, Any]:
    finished = subprocess.run(
        [node, "-e", READ_COLLECTION, collection],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    read: dict[str, Any] = json.loads(finished.stdout)
    return read


def run_newman(node: str, report: dict[str, Any], out: Path, **env_vars: str) -> dict[str, Any]:
    """newman's JSON report of one run of the exported collection."""
    result = out / "newman.json"
    command = [node, str(NEWMAN), "run", report["collection"], "-e", report["environment"]]
    for name, value in env_vars.items():
        command += ["--env-var", f"{name}={value}"]
    command += ["--reporters", "json", "--reporter-json-export", str(result), "--timeout-request", "20000"]
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_environment(),
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert result.exists(), f"newman wrote no report:\n{finished.stdout}\n{finished.stderr}"
    run: dict[str, Any] = json.loads(result.read_text())["run"]
    return run


def failures(run: dict[str, Any]) -> list[str]:
    """Every failed assertion or request error, as "request: message"."""
    found = [
        f"{failure['source'].get('name', '?')}: {failure['error'].get('message', '')}"
        for failure in run["failures"]
    ]
    for execution in run["executions"]:
        if execution.get("requestError"):
            found.append(f"{execution['item']['name']}: {execution['requestError'].get('message')}")
    return found


def executed(run: dict[str, Any]) -> dict[str, list[bool]]:
    """Per request run, its assertions' outcomes (True: passed)."""
    return {
        execution["item"]["name"]: [
            not assertion.get("error") for assertion in execution.get("assertions", [])
        ]
        for execution in run["executions"]
    }
