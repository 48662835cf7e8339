"""Background tasks of the core app."""

from __future__ import annotations

from django.utils.module_loading import import_string
from django_tasks import task


@task()
def run_periodic_callable(callable_path: str) -> None:
    """Run a periodic job given as a plain function (see ``tongban.core.periodic``)."""
    import_string(callable_path)()
