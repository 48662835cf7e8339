from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "tongban.stats"
    label = "stats"
    verbose_name = _("统计指标")

    def ready(self) -> None:
        from tongban.cases.hooks import case_event, visit_recorded
        from tongban.stats.services import stats_case_event, stats_visit_recorded

        # Rollups are kept when things happen, in the transaction of the case's step.
        case_event.connect(stats_case_event)
        visit_recorded.connect(stats_visit_recorded)
