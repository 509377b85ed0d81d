from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The marketers' dashboard, the seeded demo history, and the operators' metrics."""

    name = "signup_site.ops"
    label = "ops"

    def ready(self) -> None:
        from signup_site.web.limits import limit_refused

        from .metrics import count_limit_hit

        def counted(sender: object, action: str, limit: str, **kwargs: object) -> None:
            count_limit_hit(f"{action}-per-{limit}")

        limit_refused.connect(counted, weak=False, dispatch_uid="ops.count_limit_hit")
