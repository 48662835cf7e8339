from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "tongban.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from django.conf import settings

        from tongban.cases.sla import case_deadlines_recompute
        from tongban.core.periodic import register_periodic
        from tongban.workflow.services import on_year_entered

        register_periodic(
            "sla-sweep",
            every_seconds=settings.SLA_SWEEP_SECONDS,
            callable_path="tongban.cases.tasks.sla_sweep_task",
        )
        # Deadlines reaching a year not yet entered are provisional until it is.
        on_year_entered(case_deadlines_recompute)
