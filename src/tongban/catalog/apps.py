from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "tongban.catalog"
    label = "catalog"
    verbose_name = _("事项目录")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tongban.catalog.guides import guide_epoch_bump
        from tongban.catalog.models import (
            CertificateType,
            Department,
            MaterialRequirement,
            Matter,
            MatterVersion,
            Section,
        )

        # What a guide shows: every edit and every publication (a new MatterVersion) bumps the
        # guide epoch, which every guide request reads first (catalog.guides).
        for model in (
            Matter,
            MatterVersion,
            MaterialRequirement,
            Department,
            Section,
            CertificateType,
        ):
            post_save.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-{model.__name__}"
            )
            post_delete.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-del-{model.__name__}"
            )
