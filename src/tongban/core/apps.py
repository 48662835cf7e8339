from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from tongban.core import checks  # noqa: F401  (registers system checks)
        from tongban.core.plugins import plugins_load

        # Every model is loaded by now, so a plugin module may import any app's models.
        plugins_load(settings.TONGBAN_PLUGINS)
