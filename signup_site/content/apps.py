from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "signup_site.content"
    label = "content"
    verbose_name = _("Wording and email copy")
