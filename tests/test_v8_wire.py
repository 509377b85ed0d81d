"""The `v8` backend correct on the wire, against the emulator over real HTTP:
an expired IMS token or session is recognised wherever Campaign puts its code
(acc-js-sdk issue #108), a refused logon is an authentication error with or
without a code, and an empty service name never reaches Campaign (Unsubscribe
without one puts the person on the denylist, every channel)."""

from typing import Any

import pytest

from signup_site.campaign import outbox
from signup_site.campaign.errors import CampaignAuthError, CampaignRejected
from signup_site.campaign.models import Change, Subscriber
from tests.helpers import run_worker
from tests.v8_support import V8Emulator, backend, start

ENVELOPE = (
    "<?xml version='1.0'?><SOAP-ENV:Envelope xmlns:xsd='http://www.w3.org/2001/XMLSchema' "
    "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
    "xmlns:SOAP-ENV='http://schemas.xmlsoap.org/soap/envelope/'><SOAP-ENV:Body>{}</SOAP-ENV:Body>"
    "</SOAP-ENV:Envelope>"
)


def soap_fault(faultstring: str, detail: str, faultcode: str = "SOAP-ENV:Client") -> str:
    return ENVELOPE.format(
        f"<SOAP-ENV:Fault><faultcode>{faultcode}</faultcode>"
        f"<faultstring xsi:type='xsd:string'>{faultstring}</faultstring>"
        f"<detail xsi:type='xsd:string'>{detail}</detail></SOAP-ENV:Fault>"
    )


# Adobe's "Event description" page: a login refused, no code anywhere.
LOGIN_REFUSED = soap_fault(
    "Error while reading parameters of method 'Unsubscribe' of service 'nms:subscription'.",
    "Invalid login or password. Connection denied.",
)
# acc-js-sdk issue #108's shape, with the session's code instead of the IMS one.
SESSION_EXPIRED_IN_DETAIL = soap_fault(
    "SOP-330007 Error while reading parameters of method 'ExecuteQuery' of service 'xtk:queryDef'",
    "XSV-350008 Session has expired or is invalid. Please reconnect.",
)


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "ims")


@pytest.fixture
def v8_logon(settings: Any, live_server: Any, transactional_db: None) -> V8Emulator:
    return start(settings, live_server.url, "logon")


def confirmed_subscriber(email: str) -> Subscriber:
    return Subscriber.objects.create(
        email=email, person_key=email, status=Subscriber.Status.CONFIRMED, campaign_pkey=email
    )


# -- 1. an expired IMS token or session, wherever its code is --------------------------


def test_an_opt_out_sent_with_an_expired_ims_token_is_delivered_not_parked(v8: V8Emulator) -> None:
    backend().list_services()  # the site has a token...
    v8.expire(sessions=False)  # ...that IMS no longer honours
    change = outbox.record(
        confirmed_subscriber("jane@example.com"), Change.Kind.UNSUBSCRIBE, service="NEWSLETTER"
    )
    run_worker()
    change.refresh_from_db()
    assert (change.status, change.last_error) == (Change.Status.DONE, "")
    unsubscribe = [entry for entry in v8.log() if entry["action"] == "nms:subscription#Unsubscribe"]
    # Campaign's answer to the stale token, then the resend with a fresh one.
    assert [entry["fault_codes"] for entry in unsubscribe] == [["SOP-330007", "XSV-350114"], []]
    assert [(row["operation"], row["service"]) for row in v8.state()["staging"]] == [
        ("unsubscribe", "NEWSLETTER")
    ]
    ims = backend().client.ims
    assert ims is not None and ims.fetches == 2


def test_a_session_expired_code_in_the_detail_logs_on_again_and_resends(v8_logon: V8Emulator) -> None:
    v8_backend = backend()
    v8_backend.list_services()
    v8_logon.fault(action="xtk:queryDef#ExecuteQuery", status=200, body=SESSION_EXPIRED_IN_DETAIL)
    assert len(v8_backend.list_services()) == 2
    assert v8_logon.actions()[1:] == [
        "xtk:queryDef#ExecuteQuery",
        "xtk:queryDef#ExecuteQuery",  # the wrapped XSV-350008
        "xtk:session#Logon",
        "xtk:queryDef#ExecuteQuery",
    ]
    assert v8_backend.client.logons == 2


def test_a_session_expired_answer_to_a_bearer_token_renews_the_token(v8: V8Emulator) -> None:
    """An IMS token stands for a session; acc-js-sdk renews its bearer token on
    XSV-350008 too (its test "Expired session refresh client callback")."""
    v8_backend = backend()
    v8_backend.list_services()
    v8.fault(action="xtk:queryDef#ExecuteQuery", fault="XSV-350008", message="Session has expired.")
    assert len(v8_backend.list_services()) == 2
    assert [entry["fault"] for entry in v8.log()] == ["", "XSV-350008", ""]
    assert v8_backend.client.ims is not None and v8_backend.client.ims.fetches == 2


# -- 2. a refused logon, with no code ---------------------------------------------------


def test_a_login_refused_without_a_code_is_an_auth_error_not_a_rejection(v8: V8Emulator) -> None:
    v8.fault(action="nms:subscription#Unsubscribe", status=200, body=LOGIN_REFUSED)
    with pytest.raises(CampaignAuthError, match="Invalid login or password"):
        backend().unsubscribe("jane@example.com", "NEWSLETTER")


def test_a_wrong_password_is_an_auth_error(v8_logon: V8Emulator, settings: Any) -> None:
    settings.V8_PASSWORD = "wrong"
    from signup_site.campaign.backends import reset_backends

    reset_backends()
    with pytest.raises(CampaignAuthError, match="Logon"):
        backend().list_services()
    [logon] = v8_logon.log()
    assert (logon["action"], logon["fault"], logon["fault_codes"]) == ("xtk:session#Logon", "", [])


def test_a_logon_answer_without_a_security_token_is_refused(v8_logon: V8Emulator) -> None:
    """acc-js-sdk refuses it too: "Logon method succeeded, but no security token was returned"."""
    answer = ENVELOPE.format(
        "<LogonResponse xmlns='urn:xtk:session'>"
        "<pstrSessionToken xsi:type='xsd:string'>___0a1b2c3d-0000-4000-8000-000000000000</pstrSessionToken>"
        "<pSessionInfo xsi:type='ns:Element'><sessionInfo/></pSessionInfo>"
        "<pstrSecurityToken xsi:type='xsd:string'/></LogonResponse>"
    )
    v8_logon.fault(action="xtk:session#Logon", status=200, body=answer)
    with pytest.raises(CampaignAuthError, match="no security token"):
        backend().list_services()
    assert v8_logon.actions() == ["xtk:session#Logon"]  # nothing sent with half a session


# -- 5. an empty service name -------------------------------------------------------------


@pytest.mark.parametrize("service", ["", "   ", ",", "NEWSLETTER,"])
@pytest.mark.parametrize("verb", ["subscribe", "unsubscribe"])
def test_an_empty_service_name_is_refused_before_any_request(v8: V8Emulator, verb: str, service: str) -> None:
    v8.add_recipients({"email": "jane@example.com"})
    with pytest.raises(CampaignRejected, match="service name"):
        getattr(backend(), verb)("jane@example.com", service)
    assert v8.log() == []
    v8.replicate()
    assert [row.get("blackList", "0") for row in v8.recipients()] == ["0"]
