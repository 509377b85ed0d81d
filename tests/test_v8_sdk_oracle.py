"""Adobe's acc-js-sdk against the v8 emulator: if Adobe's own client logs on,
learns the methods from the schema documents, makes the calls the site makes
and reads the answers, the emulator speaks Campaign as Adobe's code expects;
its state shows the calls did what they say. Its answers to expired
credentials are checked against what the SDK (and its issue #108) saw from
real Campaign."""

import re
from typing import Any

import pytest

from tests.sdk_oracle import ims_token, node_or_skip, ok, run_sdk
from tests.v8_support import V8Emulator, start

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SERVICES = (
    '<queryDef schema="nms:service" operation="select"><select><node expr="@name"/></select></queryDef>'
)
KNOWN = (
    '<queryDef schema="nms:recipient" operation="get"><select><node expr="@email"/>'
    '<node expr="@firstName"/></select><where><condition expr="@email = \'known@example.com\'"/>'
    "</where></queryDef>"
)
NEW_ROW = '<recipientStg email="new@example.com" firstName="New" xtkschema="nms:recipientStg"/>'
UPSERT = (
    '<recipientStg _key="@email" email="known@example.com" lastName="Known" xtkschema="nms:recipientStg"/>'
)
RECIPIENT = '<recipient _key="@email" email="sub@example.com"/>'

# What acc-js-sdk 1.2.0 reported from real Campaign for an expired IMS token:
# acc-js-sdk issue #108, word for word.
ISSUE_108 = (
    "500 - Error SOAP-ENV:Client calling method 'xtk:persist#GetEntityIfMoreRecent': SOP-330007 Error "
    "while reading parameters of method 'GetEntityIfMoreRecent' of service 'xtk:persist'. XSV-350114 "
    "Unknown error during '/ims/profile/v1' IMS call, HTTP response code is 401"
)


@pytest.fixture
def node() -> str:
    return node_or_skip()


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "ims")


def the_site_calls() -> list[dict[str, Any]]:
    return [
        {"call": "ExecuteQuery", "xml": SERVICES},
        {"call": "ExecuteQuery", "xml": KNOWN},
        {"call": "Ingest", "xml": NEW_ROW},
        {"call": "IngestExt", "xml": UPSERT},
        {"call": "Subscribe", "service": "NEWSLETTER", "xml": RECIPIENT, "create": True},
    ]


@pytest.mark.parametrize("auth", ["logon", "ims"])
def test_the_sdk_makes_the_sites_calls_against_the_emulator(node: str, v8: V8Emulator, auth: str) -> None:
    v8.add_recipients({"email": "known@example.com", "firstName": "Known"})
    services, known, uuid, ingest_ext, subscribe = ok(run_sdk(node, v8, the_site_calls(), auth=auth))

    assert [row["name"] for row in services["rows"]] == ["NEWSLETTER", "SPECIAL_OFFERS"]
    assert known["root"] == {"email": "known@example.com", "firstName": "Known"}
    assert UUID.match(uuid)
    assert (ingest_ext, subscribe) == (None, None)  # empty answers

    staged = v8.state()["staging"]
    assert [(row["operation"], row["uuid"] == uuid, row["attributes"]) for row in staged[:1]] == [
        ("insert", True, {"email": "new@example.com", "firstName": "New"})
    ]
    assert (staged[1]["operation"], staged[1]["key"]) == ("upsert", ["email"])
    assert (staged[2]["operation"], staged[2]["service"], staged[2]["attributes"]["create"]) == (
        "subscribe",
        "NEWSLETTER",
        "1",
    )
    v8.replicate()
    recipients = {row["email"]: row for row in v8.recipients()}
    assert recipients["known@example.com"]["lastName"] == "Known"
    assert set(recipients) == {"known@example.com", "new@example.com", "sub@example.com"}
    assert v8.subscriptions("sub@example.com") == {"NEWSLETTER"}

    # The SDK learnt the signatures from the schema documents the emulator serves.
    entities = [
        entry["params"][1] for entry in v8.log() if entry["action"].endswith("#GetEntityIfMoreRecent")
    ]
    assert {"xtk:schema|xtk:queryDef", "xtk:schema|xtk:session", "xtk:schema|nms:subscription"} <= set(
        entities
    )
    actions = [entry["action"] for entry in v8.log()]
    if auth == "logon":
        assert (actions[0], actions[-1]) == ("xtk:session#Logon", "xtk:session#Logoff")
    else:
        assert "xtk:session#Logon" not in actions
        assert all(entry["bearer"] for entry in v8.log())
    assert all(entry["fault"] == "" for entry in v8.log())


def test_the_sdk_logs_on_again_when_the_emulator_says_the_session_expired(node: str, v8: V8Emulator) -> None:
    """acc-js-sdk takes XSV-350008 anywhere in an answer for an expired session."""
    calls = [
        {"call": "ExecuteQuery", "xml": SERVICES},
        {"call": "ExpireSessions"},
        {"call": "ExecuteQuery", "xml": SERVICES},
    ]
    outcome = run_sdk(node, v8, calls)
    first, _expired, second = ok(outcome)
    assert first["rows"] == second["rows"]
    assert outcome["refreshes"] == 1
    queries = [
        (e["action"], e["fault"]) for e in v8.log() if e["action"] != "xtk:persist#GetEntityIfMoreRecent"
    ]
    assert queries[2:5] == [
        ("xtk:queryDef#ExecuteQuery", "XSV-350008"),
        ("xtk:session#Logon", ""),
        ("xtk:queryDef#ExecuteQuery", ""),
    ]


def test_the_emulators_answer_to_an_expired_ims_token_is_the_one_of_issue_108(
    node: str, v8: V8Emulator
) -> None:
    """The SDK reports our answer exactly as it reported real Campaign's. (And,
    as in the issue, 1.2.0 does not recover from it: the fix, PR #114, was
    never released. The site's client does: tests/test_v8_wire.py.)"""
    token = ims_token(v8)
    v8.expire(sessions=False)
    outcome = run_sdk(node, v8, [{"call": "ExecuteQuery", "xml": SERVICES}], auth="ims", token=token)
    [result] = outcome["results"]
    assert result["error"]["message"] == ISSUE_108
    assert (result["error"]["errorCode"], result["error"]["statusCode"]) == ("SOP-330007", 500)
    assert outcome["refreshes"] == 0


def test_the_sdk_reads_a_wrong_password_as_a_fault_with_no_code(node: str, v8: V8Emulator) -> None:
    outcome = run_sdk(node, v8, [], password="wrong")
    refused = outcome["logon"]
    assert refused is not None
    assert refused["message"].endswith("Invalid login or password. Connection denied.")
    assert (refused["faultCode"], refused["errorCode"]) == ("SOAP-ENV:Client", "")  # no code to go by
