from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignAppConfig(AppConfig):
    name = "signup_site.campaign"
    label = "campaign"
    verbose_name = _("Campaign")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the configuration check)
