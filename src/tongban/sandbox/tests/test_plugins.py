"""The sandboxes plug into the domain registries outside production, and only there."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from tongban.core.plugins import plugins_load
from tongban.delivery.carriers import carrier_get
from tongban.payments.providers import payment_provider
from tongban.sandbox.delivery import SandboxCarrier
from tongban.sandbox.payments import SandboxProvider

SRC = Path(__file__).resolve().parents[3]
SANDBOX_MODULES = ["tongban.sandbox.payments", "tongban.sandbox.delivery"]


def test_the_sandboxes_are_plugged_in_outside_production() -> None:
    assert django_settings.TONGBAN_PLUGINS == SANDBOX_MODULES
    assert isinstance(payment_provider(), SandboxProvider)
    assert isinstance(carrier_get(), SandboxCarrier)


@pytest.mark.parametrize("module", SANDBOX_MODULES)
def test_production_refuses_a_sandbox_plugin(settings: Any, module: str) -> None:
    settings.PRODUCTION = True

    with pytest.raises(ImproperlyConfigured, match="refused in production"):
        plugins_load([module])


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_no_application_module_imports_the_sandbox() -> None:
    # The sandboxes register themselves into the domain registries, never the other way;
    # tests may use them (they drive the fake bank).
    modules = [
        path
        for path in sorted((SRC / "tongban").rglob("*.py"))
        if path.relative_to(SRC / "tongban").parts[0] != "sandbox" and "tests" not in path.parts
    ]
    offenders = [
        str(path.relative_to(SRC))
        for path in modules
        if any(name.startswith("tongban.sandbox") for name in _imports(path))
    ]
    assert len(modules) > 100
    assert offenders == []
