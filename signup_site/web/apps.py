from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "signup_site.web"
    label = "web"
    verbose_name = _("Public pages")

    def ready(self) -> None:
        from signup_site.campaign.emails import provide_links

        from .links import site_links

        # The worker makes the links of the emails it sends with these: it
        # acts on sign-ups and link requests after their page has answered.
        provide_links(site_links)
