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
            Section,
        )

        # What a guide shows beyond its published version: edits bump the guide epoch.
        for model in (Matter, MaterialRequirement, Department, Section, CertificateType):
            post_save.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-{model.__name__}"
            )
            post_delete.connect(
                guide_epoch_bump, sender=model, dispatch_uid=f"guide-del-{model.__name__}"
            )
