from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "tongban.exchange"
    label = "exchange"
    verbose_name = _("数据共享交换")

    def ready(self) -> None:
        from django.conf import settings

        from tongban.core.periodic import register_periodic

        # Importing the built-in data providers registers them.
        from tongban.exchange.providers import elicence, http, local  # noqa: F401

        # Sign a checkpoint of the access log's chain (also when idle, so gaps show).
        register_periodic(
            "audit-checkpoint",
            every_seconds=settings.AUDIT_CHECKPOINT_SECONDS,
            callable_path="tongban.exchange.audit.audit_checkpoint_periodic",
        )
