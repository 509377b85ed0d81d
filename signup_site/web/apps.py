from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "signup_site.web"
    label = "web"
    verbose_name = _("Public pages")

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save

        from signup_site.brand.models import Brand
        from signup_site.campaign.emails import provide_links
        from signup_site.campaign.models import Topic, TopicTranslation
        from signup_site.content.models import ConsentWording

        from .fragments import forget_pages
        from .links import site_links

        # The worker makes the links of the emails it sends with these: it
        # acts on sign-ups and link requests after their page has answered.
        provide_links(site_links)
        # What the kept blank pages show (web.fragments): a change shows on the next page.
        for model in (Topic, TopicTranslation, ConsentWording, Brand):
            post_save.connect(forget_pages, sender=model, dispatch_uid=f"forget-pages-save-{model.__name__}")
            post_delete.connect(forget_pages, sender=model, dispatch_uid=f"forget-pages-del-{model.__name__}")
        setting_changed.connect(forget_pages, dispatch_uid="forget-pages-settings")
