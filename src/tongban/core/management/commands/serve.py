"""``tongban serve``: serve the site with gunicorn (static files through whitenoise).

In production (``TONGBAN_ENV=production``) it refuses to start while
``tongban.core.production.production_problems()`` reports anything, and collects the
static files first when ``STATIC_ROOT`` is still empty.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application
from django.db import connections
from gunicorn.app.base import BaseApplication

from tongban.core import production


class TongbanApplication(BaseApplication):
    """gunicorn driven from Python, so ``tongban serve`` needs no config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        assert self.cfg is not None
        for key, value in self.options.items():
            # Settings a given gunicorn release lacks (control_socket_disable < 25) are skipped.
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # The project's WSGI application, built when gunicorn loads it (tongban.wsgi's own).
        return get_wsgi_application()


def _port_default() -> int:
    raw = os.environ.get("PORT", "8000")
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"PORT must be an integer, got {raw!r}") from None


class Command(BaseCommand):
    help = "Serve Tongban with gunicorn (default 127.0.0.1:8000, PORT overrides)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        # Sync workers by default: under the mixed load they serve 30% more than gthread 2×4;
        # slow uploads are the reverse proxy's to buffer (docs/adr/0014-serving.md).
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", "1")),
            help="threads per worker (default: $WEB_THREADS or 1 = sync; gthread when > 1)",
        )
        parser.add_argument(
            "--worker-class",
            default=None,
            help="gunicorn worker class (default: sync, or gthread when --threads > 1)",
        )
        parser.add_argument("--timeout", type=int, default=60, help="worker timeout in seconds")
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"] if options["port"] is not None else _port_default()
        if not 0 < port < 65536:
            raise CommandError(f"port must be between 1 and 65535, got {port}")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if not 1 <= options["threads"] <= 64:
            raise CommandError("--threads must be between 1 and 64")
        if settings.PRODUCTION:
            self._refuse_unsafe_production()
            self._collect_static_if_empty()
        # Forked workers must not share the parent's database connections.
        connections.close_all()
        bind = (
            f"[{options['host']}]:{port}" if ":" in options["host"] else f"{options['host']}:{port}"
        )
        self.stdout.write(
            f"serving on http://{bind} with {options['workers']} workers"
            f" × {options['threads']} threads"
        )
        self.stdout.flush()
        TongbanApplication(
            {
                "bind": bind,
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": options["worker_class"],
                "timeout": options["timeout"],
                "accesslog": "-" if options["access_log"] else None,
                "errorlog": "-",
                "proc_name": "tongban",
                # Several servers (make run, tests, the benchmark) would share one control socket.
                "control_socket_disable": True,
            }
        ).run()

    def _refuse_unsafe_production(self) -> None:
        self.stdout.write("checking the production configuration …")
        self.stdout.flush()
        problems = production.production_problems()
        if problems:
            for problem in problems:
                self.stderr.write(f"refusing to start: {problem}")
            sys.exit(2)

    def _collect_static_if_empty(self) -> None:
        static_root = settings.STATIC_ROOT
        if not static_root or not any(
            os.scandir(static_root) if os.path.isdir(static_root) else []
        ):
            self.stdout.write(f"collecting static files into {static_root}")
            call_command("collectstatic", interactive=False, verbosity=0)
