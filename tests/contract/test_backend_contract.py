"""The backend contract: the same scenarios, and the same outcomes, whichever
Campaign is behind (see `conftest.BACKENDS`). These are the promises
`backends/base.py` makes and the outbox relies on."""

import pytest

from signup_site.campaign.backends.base import Message, ProfileFields
from signup_site.campaign.errors import CampaignRejected, ProfileNotFound

from .harness import Harness

# Declared here, not only requested by the harness: pytest-django sets up the
# test database only for tests that say they use it. Transactional, because
# the acs harness's live server reads through its own connection.
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "contract.person@example.com"


def create_or_find(harness: Harness, email: str = EMAIL) -> str:
    """What the worker does on confirmation: find by email, else create."""
    found = harness.backend.find_profile(email)
    if found is not None:
        return found.pkey
    created = harness.backend.create_profile(
        ProfileFields(email=email, first_name="Jane", last_name="Doe", language="es")
    )
    harness.settle()
    return created.pkey


def test_create_or_find_never_duplicates(harness: Harness) -> None:
    assert harness.backend.find_profile(EMAIL) is None
    pkey = create_or_find(harness)
    assert create_or_find(harness) == pkey  # a retry finds what the first run made
    found = harness.backend.find_profile(EMAIL)
    assert found is not None and (found.pkey, found.email) == (pkey, EMAIL)


def test_read_by_pkey(harness: Harness) -> None:
    profile = harness.backend.get_profile(create_or_find(harness))
    assert (profile.email, profile.first_name, profile.last_name) == (EMAIL, "Jane", "Doe")
    assert profile.language == "es"
    assert profile.blacklist_email is False


def test_patch_changes_the_given_fields_only(harness: Harness) -> None:
    pkey = create_or_find(harness)
    harness.backend.update_profile(pkey, ProfileFields(first_name="Janet"))
    harness.settle()
    profile = harness.backend.get_profile(pkey)
    assert (profile.first_name, profile.last_name, profile.language) == ("Janet", "Doe", "es")


def test_subscribe_is_idempotent(harness: Harness) -> None:
    pkey = create_or_find(harness)
    harness.backend.subscribe(pkey, "NEWSLETTER")
    harness.settle()
    harness.backend.subscribe(pkey, "NEWSLETTER")
    harness.backend.subscribe(pkey, "SPECIAL_OFFERS")
    harness.settle()
    assert harness.backend.subscriptions(pkey) == {"NEWSLETTER", "SPECIAL_OFFERS"}


def test_unsubscribe_is_idempotent_and_leaves_other_topics(harness: Harness) -> None:
    pkey = create_or_find(harness)
    harness.backend.subscribe(pkey, "NEWSLETTER")
    harness.backend.subscribe(pkey, "SPECIAL_OFFERS")
    harness.settle()
    harness.backend.unsubscribe(pkey, "NEWSLETTER")
    harness.settle()
    harness.backend.unsubscribe(pkey, "NEWSLETTER")
    harness.settle()
    assert harness.backend.subscriptions(pkey) == {"SPECIAL_OFFERS"}


def test_opt_out_of_all_email_with_blacklist_email(harness: Harness) -> None:
    pkey = create_or_find(harness)
    harness.backend.subscribe(pkey, "NEWSLETTER")
    harness.backend.update_profile(pkey, ProfileFields(blacklist_email=True))
    harness.settle()
    profile = harness.backend.get_profile(pkey)
    assert profile.blacklist_email is True
    assert profile.first_name == "Jane"
    assert harness.backend.subscriptions(pkey) == {"NEWSLETTER"}  # kept: the opt-out is the flag
    harness.backend.update_profile(pkey, ProfileFields(blacklist_email=False))
    harness.settle()
    assert harness.backend.get_profile(pkey).blacklist_email is False


def test_the_email_frequency_is_taken_and_leaves_the_rest_alone(harness: Harness) -> None:
    # Opt down: the frequency travels as the profile field the brand maps
    # (the local column, ACS's custom field, v8's recipient attribute).
    pkey = create_or_find(harness)
    for _ in range(2):  # a repeated delivery reaches the same end state
        harness.backend.update_profile(pkey, ProfileFields(email_frequency="weekly"))
    harness.settle()
    profile = harness.backend.get_profile(pkey)
    assert (profile.first_name, profile.blacklist_email) == ("Jane", False)
    if profile.email_frequency is not None:  # where the backend reads it back
        assert profile.email_frequency == "weekly"


def test_send_a_transactional_message(harness: Harness) -> None:
    context = {
        "firstName": "Jane",
        "preferencesUrl": "http://testserver/p/",
        "unsubscribeUrl": "http://testserver/u/",
    }
    harness.backend.send_message(Message(name="welcome", email=EMAIL, language="en", context=context))
    harness.settle()
    assert harness.sent() == [EMAIL]


def test_services_include_the_seeded_topics(harness: Harness) -> None:
    names = {service.name for service in harness.backend.list_services()}
    assert {"NEWSLETTER", "SPECIAL_OFFERS"} <= names


def test_an_unknown_service_is_rejected(harness: Harness) -> None:
    pkey = create_or_find(harness)
    with pytest.raises(CampaignRejected):
        harness.backend.subscribe(pkey, "NO_SUCH_SERVICE")


def test_an_unknown_pkey_is_profile_not_found(harness: Harness) -> None:
    """A key of the backend's own shape that nobody has: Campaign is asked,
    and says so (not refused beforehand for looking like another backend's)."""
    asked_before = len(harness.reached()) if harness.reached is not None else 0
    with pytest.raises(ProfileNotFound):
        harness.backend.get_profile(harness.unknown_pkey)
    if harness.reached is not None:
        asked = harness.reached()[asked_before:]
        assert any(harness.unknown_pkey in request for request in asked), asked
