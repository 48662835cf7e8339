from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "tongban.counter"
    label = "counter"
    verbose_name = _("服务中心窗口")

    def ready(self) -> None:
        # Imported here: the settings and the models are ready only now.
        from django.conf import settings

        from tongban.core.periodic import register_periodic

        register_periodic(
            "appointment-no-shows",
            every_seconds=settings.APPOINTMENT_NO_SHOW_SWEEP_SECONDS,
            callable_path="tongban.counter.tasks.appointment_no_shows_sweep",
        )
