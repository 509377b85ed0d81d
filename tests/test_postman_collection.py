"""`manage.py campaign collection`: the Postman v2.1 collection of the requests
the site makes, read back by the postman-collection SDK and run by newman
against the ACS and v8 emulators, every test of every request passing."""

import json
from pathlib import Path
from typing import Any

import pytest

from signup_site.campaign.config import acs_config
from signup_site.campaign.postman import SCHEMA, undefined_variables
from signup_site.campaign.postman.acs import acs_collection
from tests import v8_support
from tests.acs_support import CLIENT_SECRET, Emulator, use_acs_emulator
from tests.newman_support import executed, export, failures, node_or_skip, read_with_sdk, run_newman

ACS_FOLDERS = {
    "Authentication": 1,
    "Profiles management": 4,
    "Services management": 5,
    "Transactional messaging": 2,
}
V8_FOLDERS = {"Authentication": 1, "Profiles management": 4, "Services management": 2}


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


def test_acs_collection_runs_green_in_newman(acs: Emulator, tmp_path: Path) -> None:
    node = node_or_skip()
    report = export(tmp_path)
    assert report["requests"] == ACS_FOLDERS
    run = run_newman(node, report, tmp_path, CLIENT_SECRET=CLIENT_SECRET)
    assert failures(run) == []
    outcomes = executed(run)
    assert len(outcomes) == sum(ACS_FOLDERS.values())
    assert all(results and all(results) for results in outcomes.values()), outcomes
    assert run["stats"]["assertions"]["failed"] == 0
    # What reached Campaign: the profile, subscribed and then unsubscribed, and the event.
    profiles = acs.profiles("postman.collection@example.com")
    assert [(p["lastName"], p["phone"]) for p in profiles] == [("Collection", "3301020304")]
    assert acs.subscriptions("postman.collection@example.com") == []
    assert [event["eventId"] for event in acs.events()] == ["EVTwelcome"]
    assert "DELETE service/{PKey}" not in acs.calls()


@pytest.mark.parametrize("auth", ["ims", "logon"])
def test_v8_collection_runs_green_in_newman(
    auth: str, settings: Any, live_server: Any, transactional_db: None, tmp_path: Path
) -> None:
    node = node_or_skip()
    emulator = v8_support.start(settings, live_server.url, auth)
    report = export(tmp_path)
    assert report["requests"] == V8_FOLDERS
    secret = (
        {"CLIENT_SECRET": v8_support.IMS_CLIENT[1]} if auth == "ims" else {"PASSWORD": v8_support.LOGIN[1]}
    )
    run = run_newman(node, report, tmp_path, **secret)
    assert failures(run) == []
    outcomes = executed(run)
    assert len(outcomes) == sum(V8_FOLDERS.values())
    assert all(results and all(results) for results in outcomes.values()), outcomes
    expected = ["xtk:session#Logon"] if auth == "logon" else []
    expected += ["xtk:session#Ingest", "xtk:session#Ingest", "xtk:session#IngestExt"]
    expected += ["xtk:queryDef#ExecuteQuery", "nms:subscription#Subscribe", "nms:subscription#Unsubscribe"]
    assert emulator.actions() == expected
    staging = emulator.state()["staging"]
    rows = [(row["operation"], row["key"], row["attributes"].get("lastName")) for row in staging]
    # IngestExt reconciled, by address, with the row Ingest staged under `_key`.
    assert rows[:2] == [("insert", [], None), ("insert", ["email"], "Collection")]
    assert [(row["operation"], row["service"]) for row in staging[2:]] == [
        ("subscribe", "NEWSLETTER"),
        ("unsubscribe", "NEWSLETTER"),
    ]


def test_the_sdk_reads_every_folder_and_request_with_its_tests(acs: Emulator, tmp_path: Path) -> None:
    node = node_or_skip()
    report = export(tmp_path)
    read = read_with_sdk(node, report["collection"])
    assert {folder["name"]: len(folder["requests"]) for folder in read["folders"]} == ACS_FOLDERS
    requests = [request for folder in read["folders"] for request in folder["requests"]]
    assert all(request["tests"] == 1 for request in requests)
    first = read["folders"][1]["requests"][0]
    assert (first["name"], first["method"]) == ("Creating a profile", "POST")
    assert first["url"] == "{{API_URL}}/{{ORGANIZATION}}/campaign/profileAndServices/profile"


def test_export_is_postman_v21_with_adobes_placeholders_and_no_secret(acs: Emulator, tmp_path: Path) -> None:
    report = export(tmp_path)
    collection = json.loads(Path(report["collection"]).read_text())
    environment = json.loads(Path(report["environment"]).read_text())
    assert collection["info"]["schema"] == SCHEMA
    text = json.dumps(collection)
    for placeholder in ("{{ORGANIZATION}}", "{{API_KEY}}", "{{ACCESS_TOKEN}}", "{{PKEY}}"):
        assert placeholder in text
    values = {value["key"]: value for value in environment["values"]}
    assert values["CLIENT_SECRET"] == {"key": "CLIENT_SECRET", "value": "", "type": "secret", "enabled": True}
    assert CLIENT_SECRET not in text + json.dumps(environment)
    with_secret = export(tmp_path / "secret", "--include-secrets")
    assert CLIENT_SECRET in Path(with_secret["environment"]).read_text()
    assert (
        undefined_variables(acs_collection(acs_config(), email="a@example.com", service="X", event_id="EVTx"))
        == set()
    )


def test_local_backend_has_no_collection(db: None, settings: Any, tmp_path: Path) -> None:
    from tests.test_campaign_command import exit_code

    settings.CAMPAIGN_BACKEND = "local"
    assert exit_code("collection", "--out", str(tmp_path)) == 2
