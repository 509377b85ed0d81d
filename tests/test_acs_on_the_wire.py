"""The `acs` client, correct on the wire (issue "Correct on the wire"): what
it makes of Adobe I/O's answer to a wrong organization, and the Content-Type
its bodies declare, seen where they reach the emulator."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from signup_site.campaign.backends import get_backend
from signup_site.campaign.backends.acs import ACSBackend
from signup_site.campaign.errors import CampaignMisconfigured, CampaignUnavailable
from tests.acs_support import ORGANIZATION, Emulator, use_acs_emulator


@pytest.fixture
def emulator(live_server: Any, settings: Any) -> Emulator:
    return use_acs_emulator(live_server, settings)


@pytest.fixture
def acs(emulator: Emulator) -> ACSBackend:
    backend = get_backend()
    assert isinstance(backend, ACSBackend)
    return backend


# --- a wrong ACS_ORGANIZATION -----------------------------------------------------------


def test_a_wrong_organization_is_misconfigured_naming_the_setting(live_server: Any, settings: Any) -> None:
    """Adobe I/O answers an organization it does not route with a 500 "Check
    your URI": an operator must fix ACS_ORGANIZATION, so it is not an outage
    to wait out (CampaignUnavailable, retried for ever)."""
    emulator = use_acs_emulator(live_server, settings, ACS_ORGANIZATION="acme-mkt-prod9")
    backend = get_backend()
    with pytest.raises(CampaignMisconfigured, match="ACS_ORGANIZATION") as raised:
        backend.find_profile("jane@example.com")
    assert not isinstance(raised.value, CampaignUnavailable)
    assert "Check your URI" in str(raised.value)
    calls = emulator.log("acs")
    assert [(entry["path"].split("/")[1], entry["status"]) for entry in calls] == [("acme-mkt-prod9", 500)]


def test_a_wrong_organization_exits_with_the_configuration_code(live_server: Any, settings: Any) -> None:
    use_acs_emulator(live_server, settings, ACS_ORGANIZATION="acme-mkt-prod9")
    stderr = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("campaign", "services", stdout=StringIO(), stderr=stderr)
    assert raised.value.returncode == 6  # "credentials or configuration"
    assert "ACS_ORGANIZATION" in str(raised.value)


def test_the_right_organization_still_works(emulator: Emulator, acs: ACSBackend) -> None:
    assert {"NEWSLETTER", "SPECIAL_OFFERS"} <= {service.name for service in acs.list_services()}
    assert {entry["path"].split("/")[1] for entry in emulator.log("acs")} == {ORGANIZATION}
