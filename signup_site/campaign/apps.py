from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignAppConfig(AppConfig):
    name = "signup_site.campaign"
    label = "campaign"
    verbose_name = _("Campaign")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 (registers the configuration check)
            outbox,
            preferences,
            signups,
        )
        from .models import InboundRequest

        # What the worker does with each request a page takes in and answers
        # before any lookup.
        outbox.handle_inbound(InboundRequest.Kind.SIGNUP, signups.take_signup)
        outbox.handle_inbound(InboundRequest.Kind.PREFERENCES_LINK, preferences.take_link_request)
