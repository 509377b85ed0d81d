"""`manage.py campaign privacy create|status|list`: an operator files a privacy
request with Campaign directly and follows it to the end. Against the ACS and
v8 emulators over real HTTP (each status read moves a request one step on, as
Campaign's privacy workflow does in its own time), and on the local backend;
with the command's exit statuses."""

from collections.abc import Iterator
from typing import Any

import pytest

from signup_site.campaign.models import LocalProfile, PrivacyRequest, Subscriber
from tests import v8_support
from tests.acs_openapi import journal_problems
from tests.acs_support import ORGANIZATION, Emulator, use_acs_emulator
from tests.test_campaign_command import campaign, exit_code


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Iterator[Emulator]:
    emulator = use_acs_emulator(live_server, settings)
    yield emulator
    assert journal_problems(emulator.log("acs"), ORGANIZATION) == []


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> v8_support.V8Emulator:
    return v8_support.start(settings, live_server.url, "ims")


def usage_errors() -> list[int]:
    return [
        exit_code("privacy", "create", "--email", "jane@example.com", "--type", "erase"),
        exit_code("privacy", "create", "--email", "jane@example.com", "--regulation", "hipaa"),
        exit_code("privacy", "create", "--email", "not-an-address"),
    ]


# --- ACS ------------------------------------------------------------------------------


def test_acs_delete_request_is_filed_then_followed_to_complete(acs: Emulator) -> None:
    campaign("profile", "create", "--email", "jane@example.com")
    campaign("profile", "create", "--email", "other@example.com")
    acs.clear_log()
    filed = campaign("privacy", "create", "--email", "jane@example.com")
    assert acs.calls() == ["POST privacy/privacyTool"]
    assert filed["name"].startswith("SIGNUP-CLI-") and filed["PKey"] and filed["href"]
    assert {key: filed[key] for key in ("namespaceName", "reconciliationValue", "regulation", "type")} == {
        "namespaceName": "defaultNamespace1",
        "reconciliationValue": "jane@example.com",
        "regulation": "gdpr",
        "type": "delete",
    }
    assert filed["status"] == "new"
    assert campaign("privacy", "status", filed["href"])["status"] == "processing"
    assert acs.profiles("jane@example.com")  # not erased before Campaign is done
    done = campaign("privacy", "status", filed["name"])  # by name: found in the list
    assert (done["status"], done["PKey"]) == ("complete", filed["PKey"])
    assert acs.profiles("jane@example.com") == [] and len(acs.profiles("other@example.com")) == 1
    assert [item["name"] for item in campaign("privacy", "list")] == [filed["name"]]
    # An operator's tool: the site's own records are not involved.
    assert (Subscriber.objects.count(), PrivacyRequest.objects.count()) == (0, 0)


def test_acs_access_request_with_its_regulation_namespace_and_name(acs: Emulator) -> None:
    campaign("profile", "create", "--email", "jane@example.com")
    filed = campaign(
        "privacy",
        "create",
        "--email",
        "jane@example.com",
        "--type",
        "access",
        "--regulation",
        "ccpa",
        "--namespace",
        "defaultNamespace1",
        "--name",
        "TICKET-42",
    )
    assert (filed["name"], filed["type"], filed["regulation"]) == ("TICKET-42", "access", "ccpa")
    campaign("privacy", "status", "TICKET-42")
    assert campaign("privacy", "status", "TICKET-42")["status"] == "complete"
    assert len(acs.profiles("jane@example.com")) == 1  # access erases nothing
    # The name is unique in Campaign: a second request under it is refused.
    assert exit_code("privacy", "create", "--email", "jane@example.com", "--name", "TICKET-42") == 4


def test_acs_unknown_request_bad_usage_refusal_and_outage(acs: Emulator) -> None:
    assert exit_code("privacy", "status", "NO-SUCH-REQUEST") == 3
    href = f"{acs.acs}/{ORGANIZATION}/campaign/privacy/privacyTool/@no-such-pkey"
    assert exit_code("privacy", "status", href) == 3
    assert usage_errors() == [2, 2, 2]
    assert exit_code("privacy", "create", "--email", "jane@example.com", "--namespace", "noSuch") == 4
    assert acs.calls() == [
        "GET privacy/privacyTool",
        "GET privacy/privacyTool/{PKey}",
        "POST privacy/privacyTool",
    ]
    acs.fault(status=503, body={"error_code": "503000", "message": "Service Unavailable"}, times=10)
    assert exit_code("privacy", "create", "--email", "jane@example.com") == 5
    assert exit_code("privacy", "status", "NO-SUCH-REQUEST") == 5
    assert exit_code("privacy", "list") == 5


# --- v8 -------------------------------------------------------------------------------


def test_v8_delete_request_is_filed_then_followed_to_complete(v8: v8_support.V8Emulator) -> None:
    v8.add_recipients({"email": "jane@example.com"}, {"email": "other@example.com"})
    v8.clear_log()
    filed = campaign("privacy", "create", "--email", "jane@example.com", "--regulation", "lgpd")
    assert [a for a in v8.actions() if a != "xtk:session#Logon"] == [
        "nms:privacyRequest#CreateRequestByName",
        "xtk:queryDef#ExecuteQuery",  # read back by address
    ]
    assert filed == {
        "id": filed["id"],
        "status": "new",
        "namespaceName": "defaultNamespace1",
        "reconciliationValue": "jane@example.com",
        "type": "2",
        "regulation": "lgpd",
    }
    assert campaign("privacy", "status", filed["id"])["status"] == "processing"
    assert len(v8.recipients()) == 2
    assert campaign("privacy", "status", filed["id"])["status"] == "complete"
    assert [r["email"] for r in v8.recipients()] == ["other@example.com"]
    access = campaign("privacy", "create", "--email", "other@example.com", "--type", "access")
    assert access["type"] == "1"
    assert [(r["id"], r["type"]) for r in campaign("privacy", "list")] == [
        (filed["id"], "2"),
        (access["id"], "1"),
    ]
    assert v8.state()["privacy_requests"][1]["confirmDeletePending"] == "0"


def test_v8_unknown_request_bad_usage_refusal_and_outage(v8: v8_support.V8Emulator, settings: Any) -> None:
    assert exit_code("privacy", "status", "999999") == 3
    assert exit_code("privacy", "status", "SIGNUP-CLI-1a2b3c4d5e6f") == 3  # v8 names requests by id
    assert usage_errors() == [2, 2, 2]
    assert exit_code("privacy", "create", "--email", "jane@example.com", "--namespace", "noSuch") == 4
    assert v8.state()["privacy_requests"] == []
    v8.fault(status=503, times=10)
    assert exit_code("privacy", "create", "--email", "jane@example.com") == 5
    assert exit_code("privacy", "list") == 5
    settings.V8_URL = "http://127.0.0.1:9"  # nothing listens there
    assert exit_code("privacy", "status", "1") == 5


# --- local and usage ------------------------------------------------------------------


@pytest.mark.django_db  # a mark, not the `db` fixture: the autouse brand fixture needs the database first
def test_local_backend_erases_at_once_and_knows_delete_only(settings: Any) -> None:
    settings.CAMPAIGN_BACKEND = "local"
    campaign("profile", "create", "--email", "jane@example.com")
    filed = campaign("privacy", "create", "--email", "Jane@Example.com")
    assert (filed["status"], filed["done"], filed["reference"]) == (
        "complete",
        True,
        "local:" + filed["name"],
    )
    assert not LocalProfile.objects.exists()
    assert campaign("privacy", "status", filed["reference"])["status"] == "complete"
    assert exit_code("privacy", "status", "no-such-request") == 3
    assert exit_code("privacy", "create", "--email", "jane@example.com", "--type", "access") == 2
    assert exit_code("privacy", "create", "--email", "jane@example.com", "--namespace", "x") == 2
    assert exit_code("privacy", "list") == 2
    assert usage_errors() == [2, 2, 2]
