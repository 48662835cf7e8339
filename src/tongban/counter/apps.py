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

        from django.db.models.signals import post_delete, post_save

        from tongban.catalog.guides import guide_epoch_bump
        from tongban.counter.models import NegativeListEntry

        # Guides show these (免提交, 不进驻中心): a change must reach every cached guide.
        for model in (NegativeListEntry,):
            post_save.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-{model.__name__}"
            )
            post_delete.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-del-{model.__name__}"
            )
