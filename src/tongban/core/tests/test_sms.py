"""SMS providers by code: the one SMS_PROVIDER names; an unknown code names the known ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tongban.core.sms import LogSmsProvider, OutboxOnlySmsProvider, sms_provider, sms_providers


def test_the_log_provider_is_the_default() -> None:
    assert isinstance(sms_provider(), LogSmsProvider)


def test_sms_provider_names_a_code(settings: Any) -> None:
    settings.SMS_PROVIDER = "outbox"

    assert isinstance(sms_provider(), OutboxOnlySmsProvider)


def test_an_unknown_sms_provider_is_refused_naming_the_known_ones(settings: Any) -> None:
    settings.SMS_PROVIDER = "aliyun"

    with pytest.raises(ImproperlyConfigured) as refused:
        sms_provider()

    assert "SMS_PROVIDER='aliyun'" in str(refused.value)
    assert "registered: log, outbox" in str(refused.value)


def test_a_second_provider_under_a_built_in_code_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        sms_providers.register("log", LogSmsProvider)


def test_a_class_path_under_the_old_module_still_names_its_provider(settings: Any) -> None:
    # The interface moved from tongban.cases.sms; a district's SMS_PROVIDER set to the old
    # class path keeps working.
    settings.SMS_PROVIDER = "tongban.cases.sms.OutboxOnlySmsProvider"

    assert isinstance(sms_provider(), OutboxOnlySmsProvider)
