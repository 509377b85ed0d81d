from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    name = "signup_site.emulator"
    label = "emulator"
    verbose_name = "Campaign emulators"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
