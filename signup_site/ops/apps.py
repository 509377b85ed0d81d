from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The marketers' dashboard, the seeded demo history, and the operators' metrics."""

    name = "signup_site.ops"
    label = "ops"
