"""Fixtures of the identity tests."""

from tongban.identity.tests.sms_outbox import sms_outbox  # noqa: F401 - fixture
