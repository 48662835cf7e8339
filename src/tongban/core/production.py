"""What makes a start unsafe for production.

Core checks its own settings; an app that knows of another danger registers a
check in its ``AppConfig.ready()`` (the demo app refuses its published
accounts), so core needs to know nothing about that app::

    from tongban.core.production import production_check_register

    production_check_register(demo_accounts_problems)  # returns a list of reasons
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError

ProductionCheck = Callable[[], list[str]]

# A registry of code, filled at start-up by AppConfig.ready(); it holds no data.
_production_checks: list[ProductionCheck] = []


def production_check_register(check: ProductionCheck) -> ProductionCheck:
    """Add ``check()`` (reasons the installation is unsafe, empty when safe) to every start."""
    if check not in _production_checks:
        _production_checks.append(check)
    return check


def production_check_remove(check: ProductionCheck) -> None:
    """Unregister a check added with ``production_check_register`` (tests)."""
    if check in _production_checks:
        _production_checks.remove(check)


def _settings_problems() -> list[str]:
    if settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        return [
            "SECRET_KEY 为默认值或过短（至少 32 个字符）/ SECRET_KEY is the default or too short"
        ]
    return []


def production_problems() -> list[str]:
    """Reasons this installation must not serve production traffic (empty when safe)."""
    problems = _settings_problems()
    for check in list(_production_checks):
        try:
            problems.extend(check())
        except DatabaseError:
            # Not migrated yet (a first `migrate`): what needs the tables cannot be asked.
            continue
    return problems


#: ``tongban`` commands that neither serve nor change business data, or that repair an unsafe
#: installation (``changepassword`` retires a demo password); every other command — serve,
#: worker, migrate, simulate, demo, sla, payments … — refuses to run in production while
#: ``production_problems()`` reports anything.
REPAIR_COMMANDS = frozenset(
    {
        "help",
        "version",
        "check",
        "collectstatic",
        "compilemessages",
        "changepassword",
        "showmigrations",
    }
)


def production_command_problems(command: str) -> list[str]:
    """Why ``tongban COMMAND`` must not run here (empty outside production or when safe)."""
    if not settings.PRODUCTION or command in REPAIR_COMMANDS or command.startswith("-"):
        return []
    try:
        return production_problems()
    except DatabaseError:
        # No schema yet (a first migrate): no account can exist, the settings still count.
        return _settings_problems()
