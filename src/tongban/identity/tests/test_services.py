import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from tongban.core.errors import NotFound, ValidationFailed
from tongban.identity import selectors, services
from tongban.identity.choices import StaffRole
from tongban.identity.models import Agent, ApiToken, Enterprise, Person, StaffProfile, User
from tongban.identity.tests.factories import (
    make_enterprise,
    make_person,
    make_resident_id,
    make_uscc,
    make_user,
)

pytestmark = pytest.mark.django_db


def _fields(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.errors}


def test_it_creates_a_user_with_a_hashed_password() -> None:
    user = services.user_create(username="zhaoliu", password="s3cret-pass", phone="13800000000")
    assert user.check_password("s3cret-pass")
    assert user.password != "s3cret-pass"
    assert user.phone == "13800000000"


def test_it_refuses_a_duplicate_username() -> None:
    make_user(username="zhaoliu")
    with pytest.raises(ValidationFailed) as info:
        services.user_create(username="zhaoliu", password="another-pass")
    assert _fields(info.value) == {"username": "该用户名已被使用"}
    assert User.objects.filter(username="zhaoliu").count() == 1


def test_it_refuses_a_username_with_spaces_inside() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.user_create(username="zhao liu", password="another-pass")
    assert "username" in _fields(info.value)
    assert not User.objects.exists()


def test_it_creates_a_person_and_upper_cases_the_check_character() -> None:
    person = services.person_create(name="张三", id_number=" 11010519491231002x ")
    assert person.id_number == "11010519491231002X"
    assert str(person) == "张三 (110***********002X)"


def test_it_refuses_an_invalid_resident_id_and_saves_nothing() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.person_create(name="张三", id_number="110105194912310021")
    assert _fields(info.value) == {"id_number": "身份证号校验码错误"}
    assert not Person.objects.exists()


def test_it_refuses_a_duplicate_resident_id() -> None:
    services.person_create(name="张三", id_number="11010519491231002X")
    with pytest.raises(ValidationFailed) as info:
        services.person_create(name="张三丰", id_number="11010519491231002x")
    assert _fields(info.value) == {"id_number": "该身份证号已登记"}
    assert Person.objects.count() == 1


def test_it_refuses_a_person_without_a_name() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.person_create(name="  ", id_number=make_resident_id())
    assert "name" in _fields(info.value)
    assert not Person.objects.exists()


def test_it_refuses_a_second_person_for_one_account() -> None:
    user = make_user()
    make_person(user=user)
    with pytest.raises(ValidationFailed) as info:
        make_person(user=user)
    assert "user" in _fields(info.value)
    assert Person.objects.count() == 1


def test_it_creates_an_enterprise_with_an_upper_case_code() -> None:
    enterprise = services.enterprise_create(uscc="91350100m000100y43", name="示例公司")
    assert enterprise.uscc == "91350100M000100Y43"


def test_it_refuses_an_invalid_credit_code_and_saves_nothing() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.enterprise_create(uscc="91350100M000100Y44", name="示例公司")
    assert _fields(info.value) == {"uscc": "统一社会信用代码校验码错误"}
    assert not Enterprise.objects.exists()


def test_it_refuses_a_duplicate_credit_code() -> None:
    code = make_uscc()
    make_enterprise(uscc=code)
    with pytest.raises(ValidationFailed) as info:
        services.enterprise_create(uscc=code, name="另一家公司")
    assert _fields(info.value) == {"uscc": "该统一社会信用代码已登记"}
    assert Enterprise.objects.count() == 1


def test_an_agent_acts_for_the_enterprise_until_revoked() -> None:
    user, enterprise = make_user(), make_enterprise()
    services.agent_authorise(user=user, enterprise=enterprise)
    assert selectors.user_enterprises(user=user) == [enterprise]
    assert selectors.user_is_agent_of(user=user, uscc=enterprise.uscc.lower())

    services.agent_revoke(user=user, enterprise=enterprise)
    assert selectors.user_enterprises(user=user) == []
    assert not selectors.user_is_agent_of(user=user, uscc=enterprise.uscc)

    services.agent_authorise(user=user, enterprise=enterprise)
    assert selectors.user_enterprises(user=user) == [enterprise]
    assert Agent.objects.count() == 1


def test_a_lapsed_authorisation_no_longer_counts() -> None:
    user, enterprise = make_user(), make_enterprise()
    agent = services.agent_authorise(
        user=user, enterprise=enterprise, valid_until=timezone.localdate()
    )
    assert selectors.user_is_agent_of(user=user, uscc=enterprise.uscc)
    Agent.objects.filter(pk=agent.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    assert not selectors.user_is_agent_of(user=user, uscc=enterprise.uscc)
    assert selectors.user_enterprises(user=user) == []


def test_it_refuses_an_authorisation_that_ended_yesterday() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.agent_authorise(
            user=make_user(),
            enterprise=make_enterprise(),
            valid_until=timezone.localdate() - dt.timedelta(days=1),
        )
    assert "valid_until" in _fields(info.value)
    assert not Agent.objects.exists()


def test_it_refuses_to_revoke_an_authorisation_that_does_not_exist() -> None:
    with pytest.raises(NotFound):
        services.agent_revoke(user=make_user(), enterprise=make_enterprise())


def test_role_groups_are_created_once_with_permissions() -> None:
    services.role_groups_ensure()
    services.role_groups_ensure()
    assert set(Group.objects.values_list("name", flat=True)) >= set(StaffRole.values)
    assert Group.objects.filter(name__in=StaffRole.values).count() == len(StaffRole.values)
    admin_perms = set(
        Group.objects.get(name=StaffRole.CENTER_ADMIN).permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"change_matter", "change_department", "change_calendarday"} <= admin_perms
    steward_perms = set(
        Group.objects.get(name=StaffRole.DATA_STEWARD).permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"view_matter", "view_accesslog", "change_sharegrant"} <= steward_perms
    # A data steward decides share grants but changes nothing else.
    assert all(p.startswith("view_") for p in steward_perms - {"change_sharegrant"})
    assert not Group.objects.get(name=StaffRole.CLERK).permissions.exists()


def test_staff_get_their_department_and_roles(departments: dict) -> None:
    user = services.staff_create(
        username="m1",
        password="staff-pass-1",
        department_code="market",
        roles=[StaffRole.REVIEWER, StaffRole.CLERK],
    )
    staff = selectors.user_staff(user=user)
    assert staff is not None and staff.department.code == "market"
    assert selectors.user_roles(user=user) == ["clerk", "reviewer"]
    assert not user.is_staff


def test_a_center_admin_may_use_the_admin_site(center_admin: User) -> None:
    assert center_admin.is_staff
    assert center_admin.has_perm("catalog.change_matter")
    assert not center_admin.has_perm("identity.change_person")


def test_it_refuses_staff_of_an_unknown_department(departments: dict) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.staff_create(
            username="x1", password="p-123456", department_code="nowhere", roles=["clerk"]
        )
    assert "department_code" in _fields(info.value)
    assert not User.objects.filter(username="x1").exists()


def test_it_refuses_an_unknown_role_and_saves_nothing(departments: dict) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.staff_create(
            username="x1", password="p-123456", department_code="market", roles=["king"]
        )
    assert "roles" in _fields(info.value)
    assert not User.objects.filter(username="x1").exists()
    assert not StaffProfile.objects.exists()


def test_a_citizen_has_no_staff_post_and_no_roles(applicant: User) -> None:
    assert selectors.user_staff(user=applicant) is None
    assert selectors.user_roles(user=applicant) == []


def test_a_token_belongs_to_its_user_until_it_expires(applicant: User) -> None:
    token, expires_at = services.api_token_create_for(user=applicant)
    assert services.api_token_user(token=token) == applicant
    assert expires_at > timezone.now()
    stored = ApiToken.objects.get(user=applicant)
    assert token not in stored.token_hash and len(stored.token_hash) == 64

    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.api_token_user(token=token) is None


def test_a_token_of_a_deactivated_user_is_refused(applicant: User) -> None:
    token, _ = services.api_token_create_for(user=applicant)
    User.objects.filter(pk=applicant.pk).update(is_active=False)
    assert services.api_token_user(token=token) is None


def test_a_revoked_token_is_refused(applicant: User) -> None:
    token, _ = services.api_token_create_for(user=applicant)
    assert services.api_token_revoke(token=token)
    assert services.api_token_user(token=token) is None
    assert not services.api_token_revoke(token=token)


def test_an_unknown_token_is_refused(db: None) -> None:
    assert services.api_token_user(token="not-a-token") is None
    assert services.api_token_user(token="") is None
