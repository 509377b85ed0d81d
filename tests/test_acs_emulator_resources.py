"""The ACS emulator's extended and descriptive resources on their own, with
plain `requests`, in the shapes of Adobe's pages: "Interacting with
marketing history", "Metadata mechanism", "Custom resources"."""

from typing import Any

import pytest

from tests.acs_support import TRANSACTIONAL_API, Emulator, use_acs_emulator
from tests.test_acs_emulator import API


@pytest.fixture
def api(live_server: Any, settings: Any) -> API:
    emulator: Emulator = use_acs_emulator(live_server, settings)
    return API(emulator)


def test_history_links_to_the_profiles_events(api: API) -> None:
    profile = api.create("history@example.com", firstName="John", lastName="Doe", birthDate="1980-10-24")
    api("POST", f"/{TRANSACTIONAL_API}/EVTwelcome", json={"email": "history@example.com", "ctx": {}})
    history = api("GET", f"/profileAndServices/history/{profile['PKey']}").json()
    assert {key: history[key] for key in ("PKey", "firstName", "lastName", "birthDate")} == {
        "PKey": profile["PKey"],
        "firstName": "John",
        "lastName": "Doe",
        "birthDate": "1980-10-24",
    }
    assert history["events"]["metadata"] == "subHisto"
    events = api("GET", history["events"]["href"]).json()["content"]
    assert [sorted(event) for event in events] == [
        ["PKey", "category", "date", "href", "label", "mirrorPage", "type"]
    ]
    assert api("GET", events[0]["href"]).json() == events[0]
    assert api("GET", "/profileAndServices/history/@nobody").status_code == 404


def test_history_events_are_paginated(api: API) -> None:
    pkey = api.create("many@example.com")["PKey"]
    for _ in range(3):
        api("POST", f"/{TRANSACTIONAL_API}/EVTwelcome", json={"email": "many@example.com", "ctx": {}})
    link = api("GET", f"/profileAndServices/history/{pkey}").json()["events"]["href"]
    first = api("GET", link, params={"_lineCount": 2}).json()
    second = api("GET", first["next"]["href"]).json()
    assert (len(first["content"]), len(second["content"]), "next" in second) == (2, 1, False)


def test_resource_type_describes_the_resource(api: API) -> None:
    described = api("GET", "/profileAndServices/resourceType/profile").json()
    for key in ("content", "data", "filters", "help", "href", "label", "name", "schema", "type"):
        assert key in described
    assert (described["name"], described["schema"], described["label"]) == (
        "profile",
        "nms:recipient",
        "Profiles",
    )
    gender = described["content"]["gender"]
    assert (gender["type"], sorted(v["value"] for v in gender["values"])) == (
        "enumeration",
        ["female", "male", "unknown"],
    )
    assert described["href"].endswith("/profileAndServices/profile/metadata")
    assert api("GET", described["href"]).json() == described
    assert api("GET", "/profileAndServices/resourceType/cusNothing").status_code == 404


def test_custom_fields_only_through_profile_and_services_ext(api: API) -> None:
    refused = api("POST", "/profileAndServices/profile", json={"email": "c@example.com", "cusPhone": "1"})
    assert refused.status_code == 500 and "Unknown property 'cusPhone'" in refused.text
    created = api("POST", "/profileAndServicesExt/profile", json={"email": "c@example.com", "cusPhone": "1"})
    assert created.status_code == 201
    body = created.json()
    assert body["cusPhone"] == "1" and "/profileAndServicesExt/profile/" in body["href"]
    plain = api("GET", f"/profileAndServices/profile/{body['PKey']}").json()
    assert "cusPhone" not in plain
    ext = api("GET", "/profileAndServicesExt/resourceType/profile").json()
    assert ext["content"]["cusPhone"]["type"] == "string"
    assert ext["data"] == "/profileAndServicesExt/profile/"
