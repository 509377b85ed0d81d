from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrandAppConfig(AppConfig):
    name = "signup_site.brand"
    label = "brand"
    verbose_name = _("Brand")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the BRAND_* check)
