"""`manage.py campaign` covers the folders of Adobe's request collection that
concern this product: list profiles following `next`, patch any field (custom
ones on the extended resource), an event's status, a profile's marketing
history, a resource's metadata, and on v8 a staging document sent as given.
Against the emulators over real HTTP, with the command's exit statuses."""

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests import v8_support
from tests.acs_openapi import journal_problems
from tests.acs_support import ORGANIZATION, Emulator, use_acs_emulator
from tests.test_campaign_command import campaign, exit_code

# The Campaign v8 guide's examples ("New Campaign v8 APIs"), as given.
INGEST_WITHOUT_KEY = '<recipientStg email="jane@example.com" firstName="Jane" xtkschema="nms:recipientStg"/>'
INGEST_WITH_KEY = (
    '<recipientStg _key="@email" email="jane@example.com" firstName="Jane" xtkschema="nms:recipientStg"/>'
)
INGEST_EXT = (
    '<recipientStg _key="@email" email="jane@example.com" firstName="Janet" lastName="Doe"'
    ' xtkschema="nms:recipientStg"/>'
)


@pytest.fixture
def acs(live_server: Any, settings: Any) -> Iterator[Emulator]:
    """The ACS emulator; afterwards, every request the command made must be
    one the SDK's OpenAPI document declares (or a listed exception)."""
    emulator = use_acs_emulator(live_server, settings)
    yield emulator
    assert journal_problems(emulator.log("acs"), ORGANIZATION) == []


@pytest.fixture
def v8(settings: Any, live_server: Any, transactional_db: None) -> v8_support.V8Emulator:
    return v8_support.start(settings, live_server.url, "ims")


def create(email: str) -> str:
    pkey: str = campaign("profile", "create", "--email", email)["pkey"]
    return pkey


# --- ACS ------------------------------------------------------------------------------


def test_profile_list_follows_next_page_by_page(acs: Emulator) -> None:
    pkeys = [create(f"list{n}@example.com") for n in range(5)]
    first = campaign("profile", "list", "--line-count", "2")
    assert ([p["PKey"] for p in first["content"]], first["pages"], first["more"]) == (pkeys[:2], 1, True)
    everyone = campaign("profile", "list", "--line-count", "2", "--pages", "10")
    assert ([p["PKey"] for p in everyone["content"]], everyone["pages"], everyone["more"]) == (
        pkeys,
        3,
        False,
    )
    reads = [entry for entry in acs.log("acs") if entry["method"] == "GET"]
    assert reads[0]["query"] == {"_lineCount": ["2"]}
    assert ["_lineStart" in entry["query"] for entry in reads] == [False, False, True, True]  # `next` links


def test_patch_sets_any_field_and_custom_ones_on_the_extended_resource(acs: Emulator) -> None:
    pkey = create("patch@example.com")
    acs.clear_log()
    plain = campaign("profile", "patch", pkey, "--set", "phone=3301020304", "--set", "blackList:=false")
    assert plain["set"]["resource"] == "profileAndServices/profile"
    custom = campaign("profile", "patch", pkey, "--set", "cusPhone=0102", "--set", "middleName=Q")
    assert custom["set"]["patched"] == {"cusPhone": "0102", "middleName": "Q"}
    profile = acs.profiles("patch@example.com")[0]
    assert (profile["phone"], profile["cusPhone"], profile["middleName"]) == ("3301020304", "0102", "Q")
    assert [(e["method"], e["path"].split("/campaign/")[1].split("/@")[0]) for e in acs.log("acs")] == [
        ("PATCH", "profileAndServices/profile"),
        ("PATCH", "profileAndServicesExt/profile"),
    ]
    assert exit_code("profile", "patch", pkey, "--set", "noSuchField=1") == 4  # Campaign refuses it
    assert exit_code("profile", "patch", pkey, "--set", "cusPhone=" + "9" * 40) == 4  # too long
    assert exit_code("profile", "patch", "@no-such-key", "--set", "phone=1") == 3
    assert exit_code("profile", "patch", pkey, "--set", "no-equals") == 2
    assert exit_code("profile", "patch", pkey, "--set", "blackList:=maybe") == 2


def test_custom_fields_are_unknown_outside_the_extended_resource(acs: Emulator) -> None:
    """As on Campaign: under /profileAndServices a `cus` field is an unknown property."""
    pkey = create("custom@example.com")
    campaign("profile", "patch", pkey, "--set", "cusLoyaltyTier=gold")
    profiles = f"{acs.acs}/{ORGANIZATION}/campaign/profileAndServices/profile/{pkey}"
    plain = acs.http.get(profiles, headers=acs_headers(acs))
    assert plain.status_code == 200
    assert "cusLoyaltyTier" not in plain.json()
    extended = acs.http.get(
        profiles.replace("profileAndServices/", "profileAndServicesExt/"), headers=acs_headers(acs)
    )
    assert extended.json()["cusLoyaltyTier"] == "gold"
    refused = acs.http.patch(profiles, json={"cusLoyaltyTier": "silver"}, headers=acs_headers(acs))
    assert (refused.status_code, "Unknown property" in refused.text) == (500, True)


def test_event_status_by_message_name_or_event_id(acs: Emulator) -> None:
    campaign("event", "send", "welcome", "--email", "event@example.com")
    pkey = acs.events()[0]["PKey"]
    assert campaign("event", "status", "welcome", pkey)["status"] == "processing"
    assert campaign("event", "status", "EVTwelcome", pkey)["status"] == "processed"
    assert exit_code("event", "status", "welcome", "@no-such-event") == 3
    assert exit_code("event", "status", "unmapped", pkey) == 4


def test_history_lists_the_events_sent_to_the_profile(acs: Emulator) -> None:
    pkey = create("history@example.com")
    assert campaign("history", pkey) == {"PKey": pkey, "events": []}
    campaign("event", "send", "welcome", "--email", "history@example.com")
    campaign("event", "send", "special-offer", "--email", "other@example.com")
    events = campaign("history", pkey)["events"]
    assert [(e["category"], e["type"], e["label"]) for e in events] == [
        ("email", "outbound", "Transactional message EVTwelcome")
    ]
    assert events[0]["mirrorPage"]["href"].endswith("/mirrorPage/")
    assert exit_code("history", "@no-such-key") == 3


def test_metadata_describes_fields_types_and_enumerations(acs: Emulator) -> None:
    described = campaign("metadata", "profile")
    assert (described["name"], described["schema"], described["data"]) == (
        "profile",
        "nms:recipient",
        "/profileAndServices/profile/",
    )
    content = described["content"]
    assert content["email"]["type"] == "string"
    assert "en_us" in [value["value"] for value in content["preferredLanguage"]["values"]]
    assert content["subscriptions"]["resTarget"] == "subscription"
    assert "cusPhone" not in content
    assert "cusPhone" in campaign("metadata", "profile", "--ext")["content"]
    assert campaign("metadata", "service")["schema"] == "nms:service"
    assert exit_code("metadata", "noSuchResource") == 4
    # The description's own `metadata` link answers the same.
    assert acs.http.get(described["href"], headers=acs_headers(acs)).json()["content"] == content


def acs_headers(acs: Emulator) -> dict[str, str]:
    from signup_site.campaign.backends import get_backend

    backend: Any = get_backend()
    return {"Authorization": f"Bearer {backend.client.tokens.token()}", "X-Api-Key": "test-client-id"}


def test_acs_only_commands_are_usage_errors_elsewhere(v8: v8_support.V8Emulator) -> None:
    assert exit_code("history", "jane@example.com") == 2
    assert exit_code("metadata", "profile") == 2
    assert exit_code("event", "status", "welcome", "@x") == 2


# --- v8 -------------------------------------------------------------------------------


def ingest(tmp_path: Path, document: str, *flags: str) -> Any:
    path = tmp_path / "doc.xml"
    path.write_text(document)
    return campaign("v8", "ingest", *flags, "--file", str(path))


def test_v8_ingest_sends_the_guides_three_examples_as_given(
    v8: v8_support.V8Emulator, tmp_path: Path
) -> None:
    without_key = ingest(tmp_path, INGEST_WITHOUT_KEY)
    assert without_key["method"] == "xtk:session#Ingest"
    assert len(without_key["uuids"]) == 36  # the new row's UUID
    assert ingest(tmp_path, INGEST_WITH_KEY)["uuids"] == ""
    assert ingest(tmp_path, INGEST_EXT, "--ext") == {"method": "xtk:session#IngestExt", "row": "recipientStg"}
    sent = [entry["wire"]["envelope"] for entry in v8.log()]
    for document, envelope in zip((INGEST_WITHOUT_KEY, INGEST_WITH_KEY, INGEST_EXT), sent, strict=True):
        row = etree.fromstring(envelope.encode()).find(".//{*}recipientStg")
        assert row is not None
        assert dict(row.attrib) == dict(etree.fromstring(document).attrib)  # verbatim
    staged = v8.state()["staging"]
    assert [(row["operation"], row["attributes"].get("lastName")) for row in staged] == [
        ("insert", None),
        ("insert", "Doe"),  # IngestExt reconciled it by address
    ]


def test_v8_ingest_refusals_and_usage(v8: v8_support.V8Emulator, tmp_path: Path) -> None:
    assert exit_code("v8", "ingest", "--file", str(tmp_path / "missing.xml")) == 2
    path = tmp_path / "bad.xml"
    path.write_text('<!DOCTYPE x [<!ENTITY a "b">]><recipientStg email="&a;"/>')
    assert exit_code("v8", "ingest", "--file", str(path)) == 4
    path.write_text('<recipient email="a@example.com"/>')  # not a staging schema
    assert exit_code("v8", "ingest", "--file", str(path)) == 4
    path.write_text('<recipientStg email="a@example.com" xtkschema="nms:recipientStg"/>')
    assert exit_code("v8", "ingest", "--ext", "--file", str(path)) == 4  # IngestExt needs a _key
    assert v8.state()["staging"] == []


def test_v8_ingest_is_a_usage_error_on_acs(acs: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "doc.xml"
    path.write_text(INGEST_WITH_KEY)
    assert exit_code("v8", "ingest", "--file", str(path)) == 2


def test_v8_patch_and_list(v8: v8_support.V8Emulator) -> None:
    v8.add_recipients(*({"email": f"r{n}@example.com", "firstName": f"R{n}"} for n in range(3)))
    listed = campaign("profile", "list", "--line-count", "2", "--pages", "5")
    assert ([p["email"] for p in listed["content"]], listed["pages"], listed["more"]) == (
        ["r0@example.com", "r1@example.com", "r2@example.com"],
        2,
        False,
    )
    patched = campaign("profile", "patch", "r1@example.com", "--set", "phone=3301020304")
    assert patched["set"]["resource"] == "nms:recipientStg"
    v8.replicate()
    assert next(r for r in v8.recipients() if r["email"] == "r1@example.com")["phone"] == "3301020304"
    assert exit_code("profile", "patch", "r1@example.com", "--set", "noSuchField=1") == 4
    assert exit_code("profile", "patch", "r1@example.com", "--set", "email=new@example.com") == 4


def test_every_subcommand_help_shows_an_example() -> None:
    from signup_site.campaign.management.commands.campaign import Command

    parser = Command().create_parser("manage.py", "campaign")
    pending = [parser]
    seen = 0
    while pending:
        current = pending.pop()
        actions = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        for action in actions:
            for name, sub in action.choices.items():
                if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    pending.append(sub)
                else:
                    seen += 1
                    assert "manage.py campaign" in (sub.epilog or ""), name
    assert seen >= 16


def test_local_backend_refuses_what_its_api_lacks(db: None, settings: Any) -> None:
    settings.CAMPAIGN_BACKEND = "local"
    assert exit_code("profile", "list") == 2
    assert exit_code("profile", "patch", "@x", "--set", "phone=1") == 2
    assert exit_code("profile", "list", "--line-count", "0") == 2
