"""System checks: a setting Campaign work depends on is wrong, or a message the
topics send has nowhere to go. `manage.py check` fails naming the variable."""

from contextlib import suppress
from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from . import config
from .errors import CampaignMisconfigured
from .models import Topic

SITE_TEMPLATES = ("subject.txt", "body.txt", "body.html")


def messages_in_use() -> set[str]:
    """Every transactional message the active topics and the sign-up can send."""
    names = {config.campaign_config().welcome_message} - {""}
    with suppress(DatabaseError):  # before `migrate`: no topics yet, nothing to send
        names |= {topic.message_on_opt_in for topic in Topic.objects.filter(active=True)} - {""}
    return names


def _message_errors(backend: str) -> list[str]:
    if backend.endswith(".ACSBackend"):
        events = config.acs_config().events
        return [
            f"ACS_EVENTS has no event id for the message {name!r} (e.g. {name}=EVT...)"
            for name in sorted(messages_in_use())
            if name not in events
        ]
    if backend.endswith(".V8Backend") and config.v8_config().messages == "rtevent":
        return []  # the event type defaults to the message name
    # The local backend and v8 with V8_MESSAGES=site render the site's own templates.
    missing = []
    for name in sorted(messages_in_use()):
        try:
            for part in SITE_TEMPLATES:
                get_template(f"emails/{name}-{part}")
        except TemplateDoesNotExist:
            missing.append(f"the message {name!r} has no templates/emails/{name}-{{subject,body}} files")
    return missing


@register("campaign")
def check_campaign_configuration(**kwargs: Any) -> list[CheckMessage]:
    try:
        backend = config.campaign_config().backend
        if backend.endswith(".ACSBackend"):
            config.acs_config()
        elif backend.endswith(".V8Backend"):
            config.v8_config()
        config.privacy_config()
        problems = _message_errors(backend)
    except CampaignMisconfigured as exc:
        problems = [str(exc)]
    return [Error(problem, id="campaign.E001") for problem in problems]
