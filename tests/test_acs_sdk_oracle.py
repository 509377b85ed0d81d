"""Adobe's own Campaign Standard SDK (@adobe/aio-lib-campaign-standard, pinned
by package-lock.json) against the ACS emulator: if Adobe's client cannot do
its work against the emulator, the emulator is wrong, and so may be the
client we test against it.

tests/oracles/acs_sdk.mjs runs on the machine's Node.js, takes its IMS token
from the emulated IMS, and walks profiles, services and a transactional
event; this checks its answers, what reached the emulator, and that every
request it made is one its own OpenAPI document allows (tests/acs_openapi.py,
the check the contract tests apply to our client). Without node or the SDK
the tests skip, except in CI (CI=true), where they fail.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.acs_openapi import journal_problems
from tests.acs_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORGANIZATION,
    TRANSACTIONAL_API,
    Emulator,
    use_acs_emulator,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oracles" / "acs_sdk.mjs"
SDK = ROOT / "node_modules" / "@adobe" / "aio-lib-campaign-standard"
EMAIL = "sdk.oracle@example.com"
PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def node() -> str:
    """The machine's node, with the SDK installed beside this checkout."""
    found = shutil.which("node")
    why = ""
    if found is None:
        why = "node is not installed"
    elif not (SDK / "package.json").is_file():
        why = f"{SDK.relative_to(ROOT)} is missing: run `make node_modules/.installed`"
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs Adobe's SDK as an oracle, but {why}")
        pytest.skip(why)
    assert found is not None
    return found


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


def run_sdk(emulator: Emulator) -> dict[str, Any]:
    arguments = {
        "site": emulator.site,
        "acs": emulator.acs,
        "organization": ORGANIZATION,
        # The SDK puts "mc" in front of the tenant it is given (`/mc{ORGANIZATION}/{EVENT_ID}`).
        "transactionalTenant": TRANSACTIONAL_API.removeprefix("mc"),
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "scopes": "openid,AdobeID,campaign_sdk,additional_info.projectedProductContext",
        "eventId": "EVTwelcome",
        "email": EMAIL,
    }
    # The SDK's fetch honours proxy variables: the emulator is on loopback.
    env = {name: value for name, value in os.environ.items() if name.lower() not in PROXIES}
    finished = subprocess.run(
        [node(), str(SCRIPT), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert finished.stdout, f"no output (exit {finished.returncode}): {finished.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(finished.stdout)
    assert finished.returncode == 0 and "error" not in result, (result.get("error"), result["steps"])
    return result


def test_adobes_sdk_does_its_work_against_the_emulator(emulator: Emulator) -> None:
    steps = {step["step"]: step for step in run_sdk(emulator)["steps"]}
    assert {name: step["status"] for name, step in steps.items()} == {
        "ims.token": 200,
        "profile.create": 201,
        "profile.get": 200,
        "profile.patch": 200,
        "profile.byEmail": 200,
        "profile.list": 200,
        "service.list": 200,
        "service.get": 200,
        "event.send": 201,
        "event.status": 200,
        "history.get": 200,
        "metadata.profile": 200,
        "metadata.history": 200,
        "profile.ext.get": 200,
    }
    body = {name: step["body"] for name, step in steps.items()}
    pkey = body["profile.create"]["PKey"]
    assert pkey.startswith("@") and body["profile.create"]["email"] == EMAIL
    assert (body["profile.get"]["PKey"], body["profile.get"]["firstName"]) == (pkey, "Jane")
    assert body["profile.patch"]["PKey"] == pkey
    assert [(p["PKey"], p["firstName"]) for p in body["profile.byEmail"]["content"]] == [(pkey, "Janet")]
    assert pkey in {p["PKey"] for p in body["profile.list"]["content"]}
    services = body["service.list"]["content"]
    assert {"NEWSLETTER", "SPECIAL_OFFERS"} <= {service["name"] for service in services}
    assert body["service.get"]["name"] == services[0]["name"]
    assert body["event.send"]["status"] == "pending"
    assert (body["event.status"]["PKey"], body["event.status"]["status"]) == (
        body["event.send"]["PKey"],
        "processing",
    )
    # "Interacting with marketing history", "Metadata mechanism", "Custom resources".
    assert (body["history.get"]["PKey"], body["history.get"]["events"]["metadata"]) == (pkey, "subHisto")
    assert body["metadata.profile"]["content"]["email"]["apiName"] == "email"
    assert body["metadata.history"]["content"]["events"]["type"] == "collection"
    assert (body["profile.ext.get"]["PKey"], body["profile.ext.get"]["cusPhone"]) == (pkey, "")

    # What reached Campaign: the SDK's token, and its calls under the organization.
    [token] = emulator.log("ims")
    assert (token["status"], token["body"]["client_id"]) == (200, CLIENT_ID)
    calls = emulator.log("acs")
    assert all((entry["api_key"], entry["bearer"]) == (CLIENT_ID, True) for entry in calls)
    [profile] = emulator.profiles(EMAIL)
    assert (profile["firstName"], profile["lastName"], profile["preferredLanguage"]) == (
        "Janet",
        "Doe",
        "en_us",
    )
    [event] = emulator.events()
    assert (event["email"], event["ctx"]) == (EMAIL, {"firstName": "Jane", "couponCode": "ÉTÉ-2025"})
    # Adobe's SDK keeps to Adobe's own OpenAPI document, as the check reads it.
    assert journal_problems(calls, ORGANIZATION) == []


def test_what_adobes_sdk_sends_where_adobes_pages_say_otherwise(emulator: Emulator) -> None:
    """Pinned, so an SDK upgrade that changes them shows here: each is a
    difference the emulator must accept (README, "The emulators")."""
    run_sdk(emulator)
    calls = [(entry["method"], entry["path"].split("/campaign/", 1)[1]) for entry in emulator.log("acs")]
    shapes = [
        (method, "/".join("{PKey}" if p.startswith("@") else p for p in path.split("/")))
        for method, path in calls
    ]
    assert shapes == [
        ("POST", "profileAndServices/profile/"),  # the pages: .../profile
        ("GET", "profileAndServices/profile/{PKey}"),
        ("PATCH", "profileAndServices/profile/{PKey}"),
        ("GET", "profileAndServices/profile/byEmail"),
        ("GET", "profileAndServices/profile/"),
        ("GET", "profileAndServices/service/"),
        ("GET", "profileAndServices/service/{PKey}"),
        ("POST", f"{TRANSACTIONAL_API}/EVTwelcome"),
        ("POST", f"{TRANSACTIONAL_API}/EVTwelcome/{{PKey}}"),  # the pages: GET
        ("GET", "profileAndServices/history/{PKey}"),
        ("GET", "profileAndServices/resourceType/profile"),
        ("GET", "profileAndServices/resourceType/history"),
        ("GET", "profileAndServicesExt/profile/{PKey}"),
    ]
    entries = emulator.log("acs")
    # The pages: Content-Type application/json (with a charset) and Cache-Control: no-cache.
    assert {entry["content_type"] for entry in entries if entry["body"]} == {"text/plain;charset=UTF-8"}
    assert {entry["cache_control"] for entry in entries} == {""}
