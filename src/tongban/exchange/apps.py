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

        from django.db.models.signals import post_delete, post_save

        from tongban.catalog.guides import guide_epoch_bump
        from tongban.exchange.models import DataResource, ShareGrant

        # Guides show these (免提交, 不进驻中心): a change must reach every cached guide.
        for model in (DataResource, ShareGrant):
            post_save.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-{model.__name__}"
            )
            post_delete.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-del-{model.__name__}"
            )
