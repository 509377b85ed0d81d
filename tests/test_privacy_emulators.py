"""The emulators' privacy APIs on their own, with plain HTTP (not the client):
what Adobe's pages document, and what their control API shows."""

from typing import Any

import pytest
from lxml import etree

from tests.acs_support import Emulator, use_acs_emulator
from tests.test_acs_emulator import API
from tests.test_v8_emulator import answer, bearer, envelope, parts_of, post
from tests.v8_support import V8Emulator, start

REQUEST = {
    "name": "PT11832",
    "namespaceName": "defaultNamespace1",
    "reconciliationValue": "customers@adobe.com",
    "regulation": "gdpr",
    "label": "Delete customers",
    "type": "delete",
}


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


def test_acs_files_lists_and_moves_a_request_on_to_complete(acs: Emulator) -> None:
    api = API(acs)
    profile = api.create("customers@adobe.com")
    created = api("POST", "/privacy/privacyTool", json=REQUEST)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "new" and body["regulation"] == "gdpr" and body["href"].endswith(body["PKey"])
    assert body["gdprRequestData"]["href"].startswith(body["href"])

    listed = api("GET", "/privacy/privacyTool").json()["content"]
    assert [item["name"] for item in listed] == ["PT11832"]
    # Each read of the request moves it on, as Campaign's workflow would in time.
    assert api("GET", body["href"]).json()["status"] == "processing"
    assert acs.profiles("customers@adobe.com") != []
    assert api("GET", body["href"]).json()["status"] == "complete"
    assert acs.profiles("customers@adobe.com") == []
    assert api("GET", f"/profileAndServices/profile/{profile['PKey']}").status_code == 404
    [seen] = acs.state()["privacy_requests"]
    assert seen["status"] == "complete" and "defaultNamespace1" in acs.state()["namespaces"]


def test_acs_a_delete_with_nothing_to_delete_ends_in_error_data_not_found(acs: Emulator) -> None:
    api = API(acs)
    href = api("POST", "/privacy/privacyTool", json=REQUEST).json()["href"]
    api("GET", href)
    assert api("GET", href).json()["status"] == "errorDataNotFound"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"regulation": None}, "'regulation' property is mandatory"),
        ({"type": "forget"}, "'forget' is not valid"),
        ({"namespaceName": "AMCDS2"}, "namespace 'AMCDS2' does not exist"),
        ({"extra": "x"}, "Unknown property"),
    ],
)
def test_acs_refuses_what_campaign_refuses(acs: Emulator, change: dict[str, Any], message: str) -> None:
    body = {key: value for key, value in {**REQUEST, **change}.items() if value is not None}
    refused = API(acs)("POST", "/privacy/privacyTool", json=body)
    assert refused.status_code == 500 and message in refused.text


def test_acs_refuses_a_second_request_with_the_same_name(acs: Emulator) -> None:
    api = API(acs)
    assert api("POST", "/privacy/privacyTool", json=REQUEST).status_code == 201
    again = api("POST", "/privacy/privacyTool", json=REQUEST)
    assert again.status_code == 500 and "duplicate" in again.text
    assert len(acs.state()["privacy_requests"]) == 1


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "ims")


def create_request(v8: V8Emulator, namespace: str = "defaultNamespace1") -> Any:
    params = (
        f"<urn:namespaceName>{namespace}</urn:namespaceName>"
        "<urn:reconciliationValue>jane@example.com</urn:reconciliationValue>"
        "<urn:type>2</urn:type><urn:confirmDeletePending>false</urn:confirmDeletePending>"
        "<urn:regulation>1</urn:regulation>"
    )
    body = envelope("nms:privacyRequest", "CreateRequestByName", params)
    return post(v8, "nms:privacyRequest#CreateRequestByName", body, **bearer(v8))


def status_of(v8: V8Emulator, request_id: str) -> str:
    query = (
        '<urn:entity><queryDef schema="nms:gdprRequest" operation="select">'
        '<select><node expr="@id"/><node expr="@status"/></select>'
        f'<where><condition expr="@id = {request_id}"/></where></queryDef></urn:entity>'
    )
    response = post(
        v8, "xtk:queryDef#ExecuteQuery", envelope("xtk:queryDef", "ExecuteQuery", query), **bearer(v8)
    )
    assert response.status_code == 200, response.text
    [row] = [node for node in answer(response).iter() if etree.QName(node).localname == "gdprRequest"]
    return str(row.get("status"))


def test_v8_creates_a_request_by_name_and_erases_the_recipient(v8: V8Emulator) -> None:
    v8.add_recipients({"email": "jane@example.com", "firstName": "Jane"})
    created = create_request(v8)
    assert created.status_code == 200, created.text
    [out] = list(answer(created))
    assert etree.QName(out).localname == "plId" and out.text
    assert status_of(v8, out.text) == "processing"
    assert v8.recipients() != []
    assert status_of(v8, out.text) == "complete"
    assert v8.recipients() == []
    assert v8.state()["privacy_requests"][0]["status"] == "complete"


def test_v8_refuses_an_unknown_namespace(v8: V8Emulator) -> None:
    refused = create_request(v8, "AMCDS2")
    assert "namespace 'AMCDS2' does not exist" in parts_of(refused)["detail"]
    assert v8.state()["privacy_requests"] == []
