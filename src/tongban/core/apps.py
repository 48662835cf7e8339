from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from tongban.core import checks  # noqa: F401  (registers system checks)
        from tongban.core.periodic import register_periodic
        from tongban.core.pgtypes import timestamptz_loader_install
        from tongban.core.plugins import plugins_load

        # Tasks a killed worker left running go back on the queue (tongban.core.workers).
        register_periodic(
            "task-orphans",
            every_seconds=max(1, settings.TASK_WORKER_DEAD_SECONDS // 3),
            callable_path="tongban.core.workers.task_orphans_job",
        )

        # PostgreSQL timestamps parsed by psycopg's C loader (tongban.core.pgtypes).
        timestamptz_loader_install()

        # Every model is loaded by now, so a plugin module may import any app's models.
        plugins_load(settings.TONGBAN_PLUGINS)
