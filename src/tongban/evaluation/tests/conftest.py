"""The evaluation tests' cast: the cases tests' drainage permit, decided by market's staff."""

from __future__ import annotations

import pytest

from tongban.cases.models import Case
from tongban.cases.tests.conftest import _media_in_tmp, drainage
from tongban.catalog.models import Matter

__all__ = ["_media_in_tmp", "drainage"]
from tongban.evaluation.tests.factories import case_accepted, case_completed
from tongban.identity.models import User


@pytest.fixture
def completed_case(
    applicant: User,
    clerk: User,
    reviewer: User,
    approver: User,
    drainage: Matter,
) -> Case:
    """张三's drainage permit, accepted and approved (办结) by market."""
    return case_completed(applicant=applicant, clerk=clerk, reviewer=reviewer, approver=approver)


@pytest.fixture
def accepted_case(
    applicant: User,
    clerk: User,
    drainage: Matter,
) -> Case:
    """张三's drainage permit, accepted by market's clerk and under review."""
    return case_accepted(applicant=applicant, clerk=clerk)
