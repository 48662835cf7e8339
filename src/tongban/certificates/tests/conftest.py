from __future__ import annotations

from typing import Any

import pytest

from tongban.cases.models import Case
from tongban.catalog.models import Department, Matter
from tongban.certificates import services
from tongban.certificates.models import Certificate
from tongban.certificates.tests.factories import approved_case, food_licence_type, food_matter
from tongban.identity.models import Enterprise, User


@pytest.fixture(autouse=True)
def _builtin_font(settings: Any) -> None:
    # Each PDF test picks its font mode explicitly; the developer's environment must not.
    settings.TONGBAN_CERT_FONT = ""
    settings.SITE_URL = "https://tongban.example.cn"


@pytest.fixture
def matter(departments: dict[str, Department]) -> Matter:
    food_licence_type()
    return food_matter()


@pytest.fixture
def enterprise_case(matter: Matter, agent_user: User, enterprise: Enterprise) -> Case:
    return approved_case(matter=matter, user=agent_user, enterprise=enterprise)


@pytest.fixture
def certificate(enterprise_case: Case) -> Certificate:
    issued = services.certificate_issue(case=enterprise_case)
    assert issued is not None
    return issued
