"""Each of the seven languages reaches Campaign as Adobe's enumeration value
and comes back as the same site language, on every backend: `local`, and the
`acs` and `v8` clients against their emulators over real HTTP."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from signup_site.campaign.backends import get_backend
from signup_site.campaign.backends.base import from_campaign_language
from signup_site.campaign.models import LocalProfile, LocalService, Topic, TopicTranslation
from signup_site.campaign.seed import seed_default_topics
from signup_site.emulator.languages import LOCALES
from tests.acs_support import use_acs_emulator
from tests.helpers import link_in, run_worker, sign_up
from tests.v8_support import start

# The site's code, and the value Adobe documents for it (emulator/languages.py).
EXPECTED = {
    "en": "en_us",
    "es": "es_es",
    "fr": "fr_fr",
    "de": "de_de",
    "pt-br": "pt_br",
    "it": "it_it",
    "ar": "ar_sa",
}


def test_every_site_language_has_a_documented_campaign_value(settings: Any) -> None:
    codes = [code for code, _name in settings.LANGUAGES]
    assert sorted(codes) == sorted(EXPECTED)
    assert all(value in LOCALES for value in EXPECTED.values())


def test_regional_variants_set_in_campaign_read_back_as_the_family() -> None:
    assert from_campaign_language("ar_ae") == "ar"
    assert from_campaign_language("pt_pt") == "pt-br"
    assert from_campaign_language("es_mx") == "es"
    assert from_campaign_language("EN_GB") == "en"
    assert from_campaign_language("ja_jp") == ""
    assert from_campaign_language("none") == ""


def sign_up_and_confirm(client: Client, email: str, language: str) -> None:
    sign_up(client, email, Topic.objects.get(slug="newsletter"), first_name="Ana", language=language)
    run_worker()
    assert client.post(link_in(mail.outbox[-1], "/confirm/")).status_code == 303  # to the result page (PRG)
    run_worker()


@pytest.mark.django_db
@pytest.mark.parametrize("language", EXPECTED)
def test_local_backend_keeps_each_language(client: Client, seeded: None, language: str) -> None:
    sign_up_and_confirm(client, "ana@example.com", language)
    assert LocalProfile.objects.get(email="ana@example.com").preferred_language == EXPECTED[language]
    found = get_backend().find_profile("ana@example.com")
    assert found is not None and found.language == language


@pytest.mark.parametrize("language", EXPECTED)
def test_acs_backend_sends_each_language(
    client: Client, live_server: Any, settings: Any, transactional_db: None, language: str
) -> None:
    seed_default_topics(Topic, TopicTranslation, LocalService)
    emulator = use_acs_emulator(live_server, settings)
    sign_up_and_confirm(client, "ana@example.com", language)
    [profile] = emulator.profiles("ana@example.com")
    assert profile["preferredLanguage"] == EXPECTED[language]
    found = get_backend().find_profile("ana@example.com")
    assert found is not None and found.language == language


@pytest.mark.parametrize("language", EXPECTED)
def test_v8_backend_sends_each_language(
    client: Client, live_server: Any, settings: Any, transactional_db: None, language: str
) -> None:
    seed_default_topics(Topic, TopicTranslation, LocalService)
    emulator = start(settings, live_server.url)
    sign_up_and_confirm(client, "ana@example.com", language)
    [staged] = [row for row in emulator.state()["staging"] if row["schema"] == "nms:recipientStg"]
    assert staged["attributes"]["language"] == EXPECTED[language]
    emulator.replicate()
    found = get_backend().find_profile("ana@example.com")
    assert found is not None and found.language == language
