"""Carriers by code: the one DELIVERY_CARRIER names; an unknown code names the known ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tongban.delivery.carriers import carrier_get, carriers


def test_an_unknown_carrier_is_a_configuration_error_naming_the_known_ones(settings: Any) -> None:
    settings.DELIVERY_CARRIER = "ems"

    with pytest.raises(ImproperlyConfigured) as refused:
        carrier_get()

    assert "DELIVERY_CARRIER='ems'" in str(refused.value)
    assert "registered: sandbox" in str(refused.value)


def test_an_order_names_its_own_carrier() -> None:
    with pytest.raises(ImproperlyConfigured, match="'ems'"):
        carrier_get("ems")
    assert carrier_get("sandbox").code == "sandbox"


def test_a_second_carrier_under_the_sandbox_code_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        carriers.register("sandbox", object)
