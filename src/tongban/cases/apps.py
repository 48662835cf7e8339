from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "tongban.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        # Imported here: the models are ready only now.
        from django.conf import settings

        from tongban.cases.services import outputs, themes
        from tongban.cases.services.sla import case_deadlines_recompute
        from tongban.certificates.hooks import certificate_reissued
        from tongban.core.periodic import register_periodic
        from tongban.delivery.hooks import parcel_delivered
        from tongban.payments.hooks import order_failed, order_paid
        from tongban.workflow.services import on_year_entered

        register_periodic(
            "sla-sweep",
            every_seconds=settings.SLA_SWEEP_SECONDS,
            callable_path="tongban.cases.tasks.sla_sweep_task",
        )
        # Deadlines reaching a year not yet entered are provisional until it is.
        on_year_entered(case_deadlines_recompute)
        # The result apps report back to the case they serve (they never import cases).
        order_paid.connect(outputs.case_payment_confirmed)
        order_failed.connect(outputs.case_payment_failed)
        parcel_delivered.connect(outputs.case_delivery_confirmed)
        certificate_reissued.connect(themes.theme_certificate_reissued)
