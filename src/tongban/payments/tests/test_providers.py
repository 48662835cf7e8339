"""Payment providers by code; a district plugs its own in through TONGBAN_PLUGINS."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tongban.payments.providers import payment_provider, payment_providers, provider_get

#: Run in a fresh process, so its start-up (CoreConfig.ready) loads TONGBAN_PLUGINS.
STARTUP = """
import django
django.setup()
from tongban.payments.providers import payment_provider, payment_providers
print(type(payment_provider()).__name__, ",".join(payment_providers))
"""


def test_the_sandbox_is_the_provider_outside_production() -> None:
    assert payment_provider().name == "sandbox"


def test_an_unknown_provider_is_a_configuration_error_naming_the_known_ones(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "alipay"

    with pytest.raises(ImproperlyConfigured) as refused:
        payment_provider()

    assert "PAYMENT_PROVIDER='alipay'" in str(refused.value)
    assert "registered: sandbox" in str(refused.value)


def test_an_order_of_an_unknown_provider_finds_none() -> None:
    assert provider_get("alipay") is None
    assert provider_get("sandbox") is not None


def test_a_second_provider_under_the_sandbox_code_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        payment_providers.register("sandbox", object)


def test_a_district_provider_named_in_tongban_plugins_is_loaded_and_selectable() -> None:
    env = {
        **os.environ,
        "TONGBAN_PLUGINS": "tongban.payments.tests.district_bank",
        "PAYMENT_PROVIDER": "district-bank",
    }

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", STARTUP], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    # The list replaces the default: the sandbox is not plugged in.
    assert result.stdout.strip() == "DistrictBankProvider district-bank"


def test_a_plugin_module_that_is_missing_stops_the_start() -> None:
    env = {**os.environ, "TONGBAN_PLUGINS": "tongban.payments.tests.no_such_bank"}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", STARTUP], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "TONGBAN_PLUGINS: cannot import 'tongban.payments.tests.no_such_bank'" in result.stderr
