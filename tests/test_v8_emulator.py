"""The v8 SOAP emulator on its own, with hand-written envelopes over real HTTP:
it must hold the documented contract whatever the client does."""

import ast
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from tests.helpers import wait_until
from tests.sdk_oracle import ims_token
from tests.v8_support import LOGIN, V8Emulator, start


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    """The v8 backend in IMS mode against the emulator."""
    return start(settings, live_server.url, "ims")


ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(schema: str, method: str, *params: str, token: str = "") -> str:
    """The spec's shape: `urn:`-qualified parameter names, sessiontoken first."""
    inner = "".join(params)
    return (
        f'<soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:urn="urn:{schema}"><soapenv:Body>'
        f"<urn:{method}><urn:sessiontoken>{token}</urn:sessiontoken>{inner}</urn:{method}>"
        "</soapenv:Body></soapenv:Envelope>"
    )


def post(emulator: V8Emulator, action: str, body: str, **headers: str) -> requests.Response:
    return requests.post(
        f"{emulator.base}/nl/jsp/soaprouter.jsp",
        data=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action, **headers},
        timeout=10,
    )


def bearer(emulator: V8Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {ims_token(emulator)}"}


def fault_of(response: requests.Response) -> str:
    root = etree.fromstring(response.content)
    found = root.find(f".//{{{ENV}}}Fault/faultstring")
    return found.text if found is not None else ""


def parts_of(response: requests.Response) -> dict[str, str]:
    """faultcode, faultstring and detail of a SOAP fault."""
    found = etree.fromstring(response.content).find(f".//{{{ENV}}}Fault")
    assert found is not None, response.content
    return {child.tag: child.text or "" for child in found}


def answer(response: requests.Response) -> etree._Element:
    root = etree.fromstring(response.content)
    return root.find(f"{{{ENV}}}Body")[0]


SAMPLE = (
    '<urn:domDoc><recipientStg _key="@email" email="jane@example.com" firstName="Jane" '
    'xtkschema="nms:recipientStg"/></urn:domDoc>'
)


def test_spec_sample_ingest_with_key_answers_empty_uuids(v8: V8Emulator) -> None:
    response = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **bearer(v8))
    assert response.status_code == 200
    result = answer(response)
    assert result.tag == "{urn:wpp:default}IngestResponse"
    assert [(etree.QName(c).localname, c.text) for c in result] == [("pstrSUuids", None)]


def test_staging_is_invisible_to_queries_until_replicated(v8: V8Emulator) -> None:
    auth = bearer(v8)
    post(v8, "xtk:session#IngestExt", envelope("xtk:session", "IngestExt", SAMPLE), **auth)
    query = (
        '<entity><queryDef schema="nms:recipient" operation="getIfExists"><select><node expr="@firstName"/>'
        "</select><where><condition expr=\"@email = 'jane@example.com'\"/></where></queryDef></entity>"
    )
    body = envelope("xtk:queryDef", "ExecuteQuery", query)
    assert answer(post(v8, "xtk:queryDef#ExecuteQuery", body, **auth))[0][0].attrib == {}
    v8.replicate()
    assert answer(post(v8, "xtk:queryDef#ExecuteQuery", body, **auth))[0][0].attrib == {"firstName": "Jane"}


def test_parameters_are_positional_whatever_their_names(v8: V8Emulator) -> None:
    body = envelope("xtk:session", "Ingest", '<anything><recipientStg email="a@example.com"/></anything>')
    response = post(v8, "xtk:session#Ingest", body, **bearer(v8))
    assert answer(response)[0].text  # a UUID: no _key
    assert v8.state()["staging"][0]["attributes"] == {"email": "a@example.com"}


def test_faults_come_with_http_200(v8: V8Emulator) -> None:
    auth = bearer(v8)
    unknown = post(v8, "xtk:session#Frobnicate", envelope("xtk:session", "Frobnicate"), **auth)
    assert (unknown.status_code, fault_of(unknown)[:10]) == (200, "SOP-330006")
    bad = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest"), **auth)
    assert (bad.status_code, fault_of(bad)[:10]) == (200, "SOP-330007")
    not_staged = envelope("xtk:session", "Ingest", '<d><recipient email="a@example.com"/></d>')
    failing = post(v8, "xtk:session#Ingest", not_staged, **auth)
    assert (failing.status_code, fault_of(failing)[:10]) == (200, "SOP-330011")
    no_auth = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE))
    assert (no_auth.status_code, fault_of(no_auth)[:10]) == (200, "XSV-350008")


def test_recipient_language_must_be_one_of_adobes_values(v8: V8Emulator) -> None:
    auth = bearer(v8)
    # "ar" alone is no value of Campaign's locale list: Arabic comes with a region.
    for value, accepted in [
        ("ar", False),
        ("pt-BR", False),
        ("ar_sa", True),
        ("pt_br", True),
        ("none", True),
    ]:
        row = f'<d><recipientStg _key="@email" email="a@example.com" language="{value}"/></d>'
        response = post(v8, "xtk:session#IngestExt", envelope("xtk:session", "IngestExt", row), **auth)
        assert ("not valid for the 'language' enumeration" in response.text) is not accepted, value


def test_logon_session_needs_its_security_token_and_ends_with_logoff(v8: V8Emulator) -> None:
    login, password = LOGIN
    logon = post(
        v8,
        "xtk:session#Logon",
        envelope("xtk:session", "Logon", f"<l>{login}</l>", f"<p>{password}</p>", "<x><parameters/></x>"),
    )
    outputs = {etree.QName(c).localname: c.text for c in answer(logon)}
    session, security = outputs["pstrSessionToken"], outputs["pstrSecurityToken"]
    assert session.startswith("___") and security.startswith("@")
    cookie = {"Cookie": f"__sessiontoken={session}"}
    without = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **cookie)
    assert fault_of(without).startswith("XSV-350008")
    with_it = post(
        v8,
        "xtk:session#Ingest",
        envelope("xtk:session", "Ingest", SAMPLE),
        **cookie,
        **{"X-Security-Token": security},
    )
    assert fault_of(with_it) == ""
    headers = {**cookie, "X-Security-Token": security}
    post(v8, "xtk:session#Logoff", envelope("xtk:session", "Logoff"), **headers)
    after = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **headers)
    assert fault_of(after).startswith("XSV-350008")


def test_wrong_password_is_a_fault_with_no_code(v8: V8Emulator) -> None:
    """Adobe's documented refusal of a login ("Event description"): no code anywhere."""
    body = envelope("xtk:session", "Logon", "<l>emulator-operator</l>", "<p>nope</p>", "<x><parameters/></x>")
    response = post(v8, "xtk:session#Logon", body)
    assert response.status_code == 200
    assert parts_of(response) == {
        "faultcode": "SOAP-ENV:Client",
        "faultstring": "Error while reading parameters of method 'Logon' of service 'xtk:session'.",
        "detail": "Invalid login or password. Connection denied.",
    }


def test_session_expiry_knob(v8: V8Emulator) -> None:
    v8.knobs(session_lifetime=0)
    login, password = LOGIN
    logon = post(
        v8, "xtk:session#Logon", envelope("xtk:session", "Logon", f"<l>{login}</l>", f"<p>{password}</p>")
    )
    outputs = {etree.QName(c).localname: c.text for c in answer(logon)}
    headers = {
        "Cookie": f"__sessiontoken={outputs['pstrSessionToken']}",
        "X-Security-Token": outputs["pstrSecurityToken"],
    }
    expired = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **headers)
    assert fault_of(expired).startswith("XSV-350008")


def test_expired_ims_token_is_a_fault_and_an_unknown_one_a_401(v8: V8Emulator) -> None:
    auth = bearer(v8)
    v8.expire(sessions=False)
    expired = post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **auth)
    # acc-js-sdk issue #108: the IMS refusal is the detail of a "bad parameters" fault.
    assert expired.status_code == 200
    assert parts_of(expired) == {
        "faultcode": "SOAP-ENV:Client",
        "faultstring": (
            "SOP-330007 Error while reading parameters of method 'Ingest' of service 'xtk:session'"
        ),
        "detail": "XSV-350114 Unknown error during '/ims/profile/v1' IMS call, HTTP response code is 401",
    }
    assert v8.state()["staging"] == []
    unknown = post(
        v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), Authorization="Bearer nope"
    )
    assert unknown.status_code == 401


def test_requests_with_a_doctype_or_a_wrong_action_are_refused(v8: V8Emulator) -> None:
    auth = bearer(v8)
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + envelope(
        "xtk:session", "Ingest", SAMPLE.replace("Jane", "&e;")
    )
    assert post(v8, "xtk:session#Ingest", hostile, **auth).status_code == 400
    assert v8.state()["staging"] == []
    mismatch = post(v8, "xtk:session#IngestExt", envelope("xtk:session", "Ingest", SAMPLE), **auth)
    assert mismatch.status_code == 400


def test_unescaped_quotes_do_change_a_condition(v8: V8Emulator) -> None:
    """The emulator really parses xtk expressions: what the client's escaping guards against."""
    v8.add_recipients({"email": "victim@example.com"})

    def count(condition: str) -> int:
        query = (
            f'<e><queryDef schema="nms:recipient" operation="count"><where><condition expr="{condition}"/>'
            "</where></queryDef></e>"
        )
        response = post(
            v8, "xtk:queryDef#ExecuteQuery", envelope("xtk:queryDef", "ExecuteQuery", query), **bearer(v8)
        )
        return int(answer(response)[0][0].get("count"))

    assert count("@email = 'x' OR @email &lt;&gt; 'y'") == 1
    assert count("@email = 'x\\' OR @email &lt;&gt; \\'y'") == 0


def test_unsubscribe_without_a_service_name_puts_the_recipient_on_the_denylist(v8: V8Emulator) -> None:
    """Adobe, "Business oriented APIs": "If the service name is not specified as a
    parameter, the recipient is then automatically on denylist (@blackList="1")"."""
    v8.add_recipients({"email": "jane@example.com"}, {"email": "bo@example.com"})
    recipient = '<c><recipient _key="@email" email="jane@example.com"/></c>'
    body = envelope("nms:subscription", "Unsubscribe", "<s></s>", recipient)
    assert fault_of(post(v8, "nms:subscription#Unsubscribe", body, **bearer(v8))) == ""
    v8.replicate()
    assert {r["email"]: r.get("blackList", "0") for r in v8.recipients()} == {
        "jane@example.com": "1",
        "bo@example.com": "0",
    }


def test_service_names_are_a_comma_separated_list(v8: V8Emulator) -> None:
    recipient = '<c><recipient _key="@email" email="jane@example.com"/></c>'
    body = envelope(
        "nms:subscription", "Subscribe", "<s>NEWSLETTER, SPECIAL_OFFERS</s>", recipient, "<b>true</b>"
    )
    assert fault_of(post(v8, "nms:subscription#Subscribe", body, **bearer(v8))) == ""
    v8.replicate()
    assert v8.subscriptions("jane@example.com") == {"NEWSLETTER", "SPECIAL_OFFERS"}


def get_entity(v8: V8Emulator, pk: str, md5: str = "", must_exist: str = "false") -> requests.Response:
    body = envelope(
        "xtk:persist", "GetEntityIfMoreRecent", f"<p>{pk}</p>", f"<m>{md5}</m>", f"<e>{must_exist}</e>"
    )
    return post(v8, "xtk:persist#GetEntityIfMoreRecent", body, **bearer(v8))


def test_schema_documents_carry_the_methods_it_serves(v8: V8Emulator) -> None:
    """What clients like acc-js-sdk read method signatures from. (The document
    sits in the answer's default namespace, as in Campaign's answers: `{*}`.)"""
    response = answer(get_entity(v8, "xtk:schema|nms:subscription"))
    assert etree.QName(response).namespace == "urn:wpp:default"
    [schema] = response[0]
    assert (schema.get("namespace"), schema.get("name")) == ("nms", "subscription")
    signatures = {
        method.get("name"): [
            (p.get("name"), p.get("type"), p.get("inout", "in")) for p in method.iter("{*}param")
        ]
        for method in schema.iter("{*}method")
    }
    assert signatures["Subscribe"] == [
        ("serviceName", "string", "in"),
        ("recipient", "DOMElement", "in"),
        ("create", "boolean", "in"),
    ]
    session = answer(get_entity(v8, "xtk:schema|xtk:session"))[0][0]
    ingest = next(m for m in session.iter("{*}method") if m.get("name") == "Ingest")
    assert [(p.get("name"), p.get("type")) for p in ingest.iter("{*}param")] == [
        ("doc", "DOMDocument"),
        ("sUuids", "string"),
    ]
    query = answer(get_entity(v8, "xtk:schema|xtk:queryDef"))[0][0]
    assert next(query.iter("{*}method")).attrib == {"name": "ExecuteQuery", "const": "true"}


def test_schema_documents_unknown_or_unchanged_come_back_empty(v8: V8Emulator) -> None:
    current = answer(get_entity(v8, "xtk:schema|xtk:queryDef"))[0][0].get("md5")
    assert len(answer(get_entity(v8, "xtk:schema|xtk:queryDef", md5=current))[0]) == 0
    assert len(answer(get_entity(v8, "xtk:schema|nms:nothing"))[0]) == 0
    missing = get_entity(v8, "xtk:schema|nms:nothing", must_exist="true")
    assert fault_of(missing).startswith("SOP-330011")


def test_the_journal_keeps_each_request_as_it_came(v8: V8Emulator) -> None:
    body = envelope("xtk:session", "Ingest", SAMPLE)
    post(v8, "xtk:session#Ingest", body, **bearer(v8), **{"X-Session-Token": ""})
    [entry] = v8.log()
    assert entry["wire"]["envelope"] == body
    assert entry["wire"]["headers"]["SOAPAction"] == "xtk:session#Ingest"
    assert entry["wire"]["headers"]["Authorization"] == "Bearer <set>"  # never the token itself
    assert entry["wire"]["headers"]["X-Session-Token"] == "<empty>"


def test_push_event_is_recorded(v8: V8Emulator) -> None:
    event = (
        '<d><rtEvent type="WELCOME" email="a@example.com"><ctx><firstName>A</firstName></ctx></rtEvent></d>'
    )
    response = post(v8, "nms:rtEvent#PushEvent", envelope("nms:rtEvent", "PushEvent", event), **bearer(v8))
    assert answer(response)[0].text == "1"
    assert v8.state()["events"][0]["ctx"] == {"firstName": "A"}


def test_replication_knob_applies_staging_by_itself(v8: V8Emulator) -> None:
    v8.knobs(replicate_after=3600)  # the hourly workflow: not due yet
    post(v8, "xtk:session#IngestExt", envelope("xtk:session", "IngestExt", SAMPLE), **bearer(v8))
    assert v8.state()["recipients"] == []
    assert len(v8.state()["staging"]) == 1
    v8.knobs(replicate_after=0.2)  # due a fifth of a second after the last run
    recipients = wait_until(lambda: v8.state()["recipients"], "the workflow to apply staging by itself")
    assert [r["email"] for r in recipients] == ["jane@example.com"]
    assert v8.state()["staging"] == []


def test_latency_knob(v8: V8Emulator) -> None:
    v8.knobs(latency=0.3)
    started = time.monotonic()
    post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE), **bearer(v8))
    assert time.monotonic() - started >= 0.3
    v8.knobs(latency=0)


def test_hidden_unless_enabled_and_debug(v8: V8Emulator, settings: Any) -> None:
    settings.EMULATOR_ENABLED = False
    assert post(v8, "xtk:session#Ingest", envelope("xtk:session", "Ingest", SAMPLE)).status_code == 404
    settings.EMULATOR_ENABLED, settings.DEBUG = True, False
    assert requests.get(f"{v8.base}/_control/state", timeout=10).status_code == 404


def test_emulator_imports_nothing_from_the_client() -> None:
    package = Path(__file__).resolve().parent.parent / "signup_site" / "emulator" / "v8"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert "campaign" not in module, f"{source.name} imports {module}"
                # The emulator's own shared modules.
                shared = ("control", "control_input", "gate", "ims", "journal", "languages", "pause")
                assert node.level < 2 or module in shared, f"{source.name}: {module}"


@pytest.fixture(autouse=True)
def _quiet(caplog: Any) -> None:
    caplog.set_level("ERROR", logger="django.request")
