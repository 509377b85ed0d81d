"""No link token reaches the logs, not even in Django's own lines about
refused requests (a bad link's 400, a CSRF failure's 403, a 404)."""

import logging

import pytest
from django.test import Client

from signup_site.campaign.models import Subscriber, Topic
from signup_site.web.links import site_links
from tests.helpers import path_of, sign_up

pytestmark = pytest.mark.django_db


def test_a_refused_request_is_logged_without_its_token(
    client: Client, newsletter: Topic, caplog: pytest.LogCaptureFixture
) -> None:
    sign_up(client, "ana@example.com", newsletter)
    unsubscribe = path_of(site_links.unsubscribe_url(Subscriber.objects.get(email="ana@example.com")))
    token = unsubscribe.split("/")[2]
    tampered = f"/confirm/{token[:-3]}abc/"
    with caplog.at_level(logging.INFO):
        assert client.get(tampered).status_code == 400
        assert Client(enforce_csrf_checks=True).post("/preferences/edit/").status_code == 403
        assert Client(enforce_csrf_checks=True).post(f"/preferences/{token}/").status_code == 403
        assert client.get(f"/no-such-page/{token}/").status_code == 404
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Bad Request: /confirm/<token>/" in logged
    assert "Forbidden (CSRF cookie not set.): /preferences/<token>/" in logged
    assert token[-20:] not in logged
    assert token[:-3] not in logged
