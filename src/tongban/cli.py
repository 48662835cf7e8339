"""The ``tongban`` command: a thin wrapper over Django's manage.py.

``tongban serve``, ``tongban demo load``, ``tongban worker``, ``tongban sla sweep``,
``tongban calendar due 2026-02-13 5`` … are Django management commands; any
other manage.py command (migrate, createsuperuser …) works the same way.
"""

from __future__ import annotations

import os
import sys

from tongban.core.production import production_command_problems

#: CLI words with a hyphen mapped to their management-command module names.
ALIASES = {"verify-audit": "verify_audit"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    args[0] = "tongban"
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    problems = production_command_problems(args[1] if len(args) > 1 else "help")
    if problems:
        for problem in problems:
            sys.stderr.write(f"refusing to run in production: {problem}\n")
        sys.exit(2)
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
