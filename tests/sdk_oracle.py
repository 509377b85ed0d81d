"""Adobe's acc-js-sdk as an oracle: tests/oracles/acc_sdk.mjs, run with the
machine's Node.js against the v8 emulator on `live_server` (the script's
header describes what it reads and writes).

The SDK is installed from the committed package-lock.json (`make
node_modules/.installed`, part of `make test`). Without Node.js or the SDK the
oracle tests are skipped, saying why; in CI (`CI=true`) they fail instead.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.v8_support import IMS_CLIENT, LOGIN, V8Emulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oracles" / "acc_sdk.mjs"
SDK_PACKAGE = ROOT / "node_modules" / "@adobe" / "acc-js-sdk" / "package.json"
SDK_VERSION = "1.2.0"  # package-lock.json's
TIMEOUT_SECONDS = 60


def node_or_skip() -> str:
    """The `node` to run the oracle with; skips (fails in CI) when it cannot run."""
    node = shutil.which("node")
    if node is None:
        missing = "Node.js (`node`) is not installed"
    elif not SDK_PACKAGE.exists():
        missing = "@adobe/acc-js-sdk is not installed: run `make node_modules/.installed`"
    else:
        version = json.loads(SDK_PACKAGE.read_text())["version"]
        assert version == SDK_VERSION, f"acc-js-sdk {version} installed, package-lock.json pins {SDK_VERSION}"
        return node
    if os.environ.get("CI") == "true":
        pytest.fail(f"the acc-js-sdk oracle must run in CI: {missing}")
    pytest.skip(f"the acc-js-sdk oracle cannot run: {missing}")


def ims_token(emulator: V8Emulator) -> str:
    """A bearer token from the emulated IMS, as the site's own client gets one."""
    client_id, secret = IMS_CLIENT
    answer = requests.post(
        f"{emulator.url}/emulator/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "x",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def run_sdk(
    node: str,
    emulator: V8Emulator,
    calls: list[dict[str, Any]],
    *,
    auth: str = "logon",
    token: str = "",
    password: str = LOGIN[1],
) -> dict[str, Any]:
    """Log the SDK on to the emulator (`logon` or `ims`), make `calls`; what it made of them."""
    request = {
        "url": emulator.base,
        "auth": auth,
        "login": LOGIN[0],
        "password": password,
        "token": token or (ims_token(emulator) if auth == "ims" else ""),
        "calls": calls,
    }
    # The emulator is on loopback: no proxy of the environment may stand in between.
    environment = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    finished = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert finished.returncode == 0, f"the oracle script failed:\n{finished.stderr}"
    outcome: dict[str, Any] = json.loads(finished.stdout)
    return outcome


def ok(outcome: dict[str, Any]) -> list[Any]:
    """The values of every call, failing on the first error the SDK raised."""
    assert outcome["logon"] is None, outcome["logon"]
    errors = [result["error"] for result in outcome["results"] if "error" in result]
    assert errors == [], errors
    return [result["ok"] for result in outcome["results"]]
