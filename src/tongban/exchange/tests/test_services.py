"""exchange_query: share types, grants, refusals, and a log row for every outcome."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tongban.cases.models import Case
from tongban.catalog.models import Department, Matter
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongban.exchange.choices import AccessResult, GrantStatus, LicenceStatus, ShareType
from tongban.exchange.models import AccessLog, DataResource, ELicence
from tongban.exchange.providers import data_providers
from tongban.exchange.services import ProviderUnavailable, elicence_record
from tongban.exchange.tests.factories import LICENCE_DEFAULTS, grant_make, resource_make
from tongban.identity.masking import mask_id_number
from tongban.identity.models import User

pytestmark = pytest.mark.django_db


class SpyProvider:
    """Counts calls; answers what it is told (a dict, None, or an exception to raise)."""

    calls = 0
    answer: Any = None

    def fetch(self, *, resource: DataResource, subject: str) -> dict[str, Any] | None:
        SpyProvider.calls += 1
        if isinstance(SpyProvider.answer, Exception):
            raise SpyProvider.answer
        return SpyProvider.answer


@pytest.fixture
def spy(departments: dict[str, Department]) -> Any:
    SpyProvider.calls = 0
    SpyProvider.answer = {"name": "张三"}
    data_providers.register("spy", SpyProvider)
    resource = resource_make(code="police.spy", provider="police", adapter="spy")
    yield resource
    data_providers.unregister("spy")


def _last() -> AccessLog:
    row = AccessLog.objects.order_by("-seq").first()
    assert row is not None
    return row


# --- unconditional -------------------------------------------------------------------------


def test_it_returns_only_the_declared_fields_of_an_unconditional_resource(
    query: Any, population: DataResource, case: Case, clerk: User
) -> None:
    record = query("police.population")

    assert record.fields == {"name": "张三", "gender": "男", "address": "上海市嘉定区示范路1号"}
    assert "religion" not in record.fields
    assert record.provider_department == "police"
    assert record.resource_name == "人口基本信息"
    assert record.subject_masked == mask_id_number(APPLICANT_ID_NUMBER)
    row = _last()
    assert row.seq == record.log_seq
    assert row.result == AccessResult.OK
    assert row.case == case and row.case_no == (case.case_no or "")
    assert row.department.code == "market"
    assert row.actor == clerk and row.actor_name == clerk.username
    assert row.purpose == "核验申请人身份"
    assert row.fields_returned == ["name", "gender", "address"]
    assert APPLICANT_ID_NUMBER not in row.subject_masked


def test_any_department_may_use_an_unconditional_resource(
    query: Any, population: DataResource
) -> None:
    assert query("police.population", department="center").fields["name"] == "张三"


# --- refusals before anything is fetched ---------------------------------------------------


def test_it_refuses_a_query_without_a_case_and_fetches_nothing(query: Any, spy: Any) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        query("police.spy", case=None)

    assert [e.field for e in refusal.value.errors] == ["case"]
    assert SpyProvider.calls == 0
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("purpose", ["", "   "])
def test_it_refuses_a_query_without_a_purpose_and_fetches_nothing(
    query: Any, spy: Any, purpose: str
) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        query("police.spy", purpose=purpose)

    assert [e.field for e in refusal.value.errors] == ["purpose"]
    assert SpyProvider.calls == 0
    assert not AccessLog.objects.exists()


def test_it_refuses_a_query_without_case_and_purpose_naming_both(query: Any, spy: Any) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        query("police.spy", case=None, purpose="")

    assert {e.field for e in refusal.value.errors} == {"case", "purpose"}


def test_it_refuses_an_overlong_purpose(query: Any, spy: Any) -> None:
    with pytest.raises(ValidationFailed):
        query("police.spy", purpose="因" * 201)
    assert SpyProvider.calls == 0


def test_it_refuses_an_unknown_department(query: Any, spy: Any) -> None:
    with pytest.raises(NotFound):
        query("police.spy", department="nowhere")
    assert SpyProvider.calls == 0


def test_an_unknown_or_inactive_resource_is_not_found_and_logged(
    query: Any, population: DataResource
) -> None:
    population.is_active = False
    population.save()

    with pytest.raises(NotFound):
        query("police.population")
    with pytest.raises(NotFound):
        query("police.nothing")

    assert list(AccessLog.objects.values_list("resource_code", "result")) == [
        ("police.population", AccessResult.NOT_FOUND),
        ("police.nothing", AccessResult.NOT_FOUND),
    ]


# --- 不予共享 -------------------------------------------------------------------------------


def test_it_refuses_a_none_resource_to_another_department_and_logs_the_denial(
    query: Any, criminal: DataResource
) -> None:
    with pytest.raises(PermissionDenied) as refusal:
        query("police.criminal")

    assert "不予共享" in str(refusal.value.detail)
    row = _last()
    assert row.result == AccessResult.DENIED
    assert row.fields_returned == []
    assert row.department.code == "market"
    assert "不予共享" in row.detail


def test_a_none_resource_stays_usable_by_its_own_department(
    query: Any, criminal: DataResource
) -> None:
    assert query("police.criminal", department="police").fields == {"has_record": False}


def test_a_grant_does_not_open_a_none_resource(
    query: Any, criminal: DataResource, clerk: User
) -> None:
    grant_make(resource=criminal, department="market", requested_by=clerk)

    with pytest.raises(PermissionDenied):
        query("police.criminal")


# --- 有条件共享 -----------------------------------------------------------------------------


def test_it_refuses_a_conditional_resource_without_a_grant_and_logs_it(
    query: Any, household: DataResource
) -> None:
    with pytest.raises(PermissionDenied):
        query("police.household")

    assert _last().result == AccessResult.DENIED


def test_an_approved_grant_opens_a_conditional_resource(
    query: Any, household: DataResource, clerk: User
) -> None:
    grant_make(resource=household, department="market", requested_by=clerk)

    assert query("police.household").fields == {"household_no": "H310114001", "relation": "户主"}
    assert _last().result == AccessResult.OK


def test_a_grant_of_one_department_does_not_open_it_for_another(
    query: Any, household: DataResource, clerk: User
) -> None:
    grant_make(resource=household, department="market", requested_by=clerk)

    with pytest.raises(PermissionDenied):
        query("police.household", department="center")


@pytest.mark.parametrize(
    "status", [GrantStatus.REQUESTED, GrantStatus.REFUSED, GrantStatus.REVOKED]
)
def test_a_grant_that_is_not_approved_opens_nothing(
    query: Any, household: DataResource, clerk: User, status: str
) -> None:
    grant_make(resource=household, department="market", requested_by=clerk, status=status)

    with pytest.raises(PermissionDenied):
        query("police.household")


def test_an_expired_grant_opens_nothing(query: Any, household: DataResource, clerk: User) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    grant_make(resource=household, department="market", requested_by=clerk, valid_until=yesterday)

    with pytest.raises(PermissionDenied):
        query("police.household")


def test_a_grant_valid_until_today_still_opens(
    query: Any, household: DataResource, clerk: User
) -> None:
    grant_make(
        resource=household,
        department="market",
        requested_by=clerk,
        valid_until=timezone.localdate(),
    )

    assert query("police.household").fields["relation"] == "户主"


def test_a_matter_specific_grant_covers_only_that_matter(
    query: Any,
    household: DataResource,
    clerk: User,
    matters: dict[str, Matter],
    drug_case: Case,
) -> None:
    grant_make(resource=household, department="market", requested_by=clerk, matter=matters["food"])

    # The case's own matter (食品经营许可) is granted …
    assert query("police.household").fields["relation"] == "户主"
    assert query("police.household", matter_code="food-business-licence").fields
    # … another matter of the same department is not.
    with pytest.raises(PermissionDenied):
        query("police.household", case=drug_case)
    with pytest.raises(PermissionDenied):
        query("police.household", matter_code="drug-retail-licence")


# --- provider outcomes ---------------------------------------------------------------------


def test_no_record_is_not_found_and_logged(query: Any, population: DataResource) -> None:
    with pytest.raises(NotFound):
        query("police.population", subject=ENTERPRISE_USCC)

    row = _last()
    assert row.result == AccessResult.NOT_FOUND
    assert row.subject_masked == mask_id_number(ENTERPRISE_USCC)


def test_a_provider_that_is_unavailable_is_logged_and_reported(query: Any, spy: Any) -> None:
    SpyProvider.answer = ProviderUnavailable("数据提供方暂不可用")

    with pytest.raises(ProviderUnavailable):
        query("police.spy")

    row = _last()
    assert row.result == AccessResult.UNAVAILABLE
    assert row.detail == "数据提供方暂不可用"


def test_a_provider_that_crashes_gives_a_clear_message_not_a_crash(query: Any, spy: Any) -> None:
    SpyProvider.answer = KeyError("boom")

    with pytest.raises(ProviderUnavailable) as refusal:
        query("police.spy")

    assert refusal.value.status == 503
    assert _last().result == AccessResult.UNAVAILABLE


def test_an_unregistered_adapter_is_unavailable(query: Any, departments: Any) -> None:
    resource_make(code="police.orphan", provider="police", adapter="nobody")

    with pytest.raises(ProviderUnavailable):
        query("police.orphan")
    assert _last().result == AccessResult.UNAVAILABLE


def test_every_outcome_extends_one_chain(
    query: Any, population: DataResource, criminal: DataResource
) -> None:
    query("police.population")
    with pytest.raises(PermissionDenied):
        query("police.criminal")
    with pytest.raises(NotFound):
        query("police.population", subject=ENTERPRISE_USCC)

    rows = list(AccessLog.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert [r.result for r in rows] == ["ok", "denied", "not_found"]
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash


# --- the e-licence library -----------------------------------------------------------------


@pytest.fixture
def licence_resource(departments: dict[str, Department]) -> DataResource:
    return resource_make(
        code="market.business_licence",
        provider="market",
        adapter="elicence",
        adapter_config={"licence_type": "business-licence"},
        subject_kind="enterprise",
        fields=["number", "name", "issued_on", "valid_until"],
    )


def test_the_elicence_provider_returns_the_valid_licence_of_the_holder(
    query: Any, licence_resource: DataResource
) -> None:
    elicence_record(
        **LICENCE_DEFAULTS,
        number="OLD-1",
        holder_subject=ENTERPRISE_USCC,
        issued_on=dt.date(2015, 1, 1),
        valid_until=dt.date(2016, 1, 1),
        data={"name": "旧名称"},
    )
    elicence_record(
        **LICENCE_DEFAULTS,
        number="913101140001",
        holder_subject=ENTERPRISE_USCC,
        issued_on=dt.date(2019, 6, 1),
        valid_until=None,
        data={"name": "上海通办示范科技有限公司", "capital": "100万元"},
    )

    record = query("market.business_licence", subject=ENTERPRISE_USCC, department="police")

    assert record.fields == {
        "number": "913101140001",
        "name": "上海通办示范科技有限公司",
        "issued_on": "2019-06-01",
        "valid_until": None,
    }


def test_the_elicence_provider_ignores_revoked_licences(
    query: Any, licence_resource: DataResource
) -> None:
    licence = elicence_record(
        **LICENCE_DEFAULTS,
        number="913101140001",
        holder_subject=ENTERPRISE_USCC,
        issued_on=dt.date(2019, 6, 1),
        valid_until=None,
        data={"name": "x"},
    )
    ELicence.objects.filter(pk=licence.pk).update(status=LicenceStatus.REVOKED)

    with pytest.raises(NotFound):
        query("market.business_licence", subject=ENTERPRISE_USCC)


def test_elicence_record_adds_a_licence_then_updates_it_in_place_one_statement_each(
    departments: Any, django_assert_num_queries: Any
) -> None:
    first = {
        **LICENCE_DEFAULTS,
        "number": "913101140001",
        "holder_subject": ENTERPRISE_USCC.lower(),
        "issued_on": dt.date(2019, 6, 1),
        "valid_until": None,
        "data": {"name": "旧名称"},
    }
    with django_assert_num_queries(2):  # the issuer's department, then the upsert
        licence = elicence_record(**first)
    stored = ELicence.objects.get()
    assert licence.pk == stored.pk and not licence._state.adding
    assert stored.holder_subject == ENTERPRISE_USCC.upper() and stored.data == {"name": "旧名称"}
    ELicence.objects.filter(pk=stored.pk).update(status=LicenceStatus.REVOKED)

    with django_assert_num_queries(2):
        again = elicence_record(
            **{**first, "valid_until": dt.date(2029, 5, 31), "data": {"name": "新名称"}}
        )
    updated = ELicence.objects.get()
    assert again.pk == updated.pk == stored.pk
    assert updated.created_at == stored.created_at and updated.updated_at > stored.updated_at
    assert (updated.status, updated.valid_until, updated.data) == (
        LicenceStatus.VALID,
        dt.date(2029, 5, 31),
        {"name": "新名称"},
    )


def test_elicence_record_refuses_bad_input_and_saves_nothing(departments: Any) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        elicence_record(
            licence_type="business-licence",
            number="",
            holder_subject="X",
            holder_name="x",
            issuer_code="nowhere",
            issued_on=dt.date(2020, 1, 1),
            valid_until=dt.date(2019, 1, 1),
            data={},
        )

    assert {e.field for e in refusal.value.errors} == {"number", "issuer", "valid_until"}
    assert not ELicence.objects.exists()


# --- the transaction rule ------------------------------------------------------------------


def _committed_count(result: str) -> int:
    """Rows of ``result`` seen from another connection, i.e. committed."""
    out: list[int] = []

    def look() -> None:
        try:
            out.append(AccessLog.objects.filter(result=result).count())
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return out[0]


@pytest.mark.django_db(transaction=True)
def test_a_denial_is_committed_before_the_refusal_is_raised(
    query: Any, criminal: DataResource
) -> None:
    with pytest.raises(PermissionDenied):
        query("police.criminal")

    assert _committed_count(AccessResult.DENIED) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_a_rollback_would_erase_the_log_hence_the_rule(
    query: Any, criminal: DataResource
) -> None:
    # The documented rule (call exchange_query outside your atomic block) exists because of this.
    with pytest.raises(PermissionDenied), transaction.atomic():
        query("police.criminal")

    assert _committed_count(AccessResult.DENIED) == 0


@pytest.mark.django_db(transaction=True)
def test_a_denial_survives_when_the_caller_fails_afterwards(
    query: Any, criminal: DataResource
) -> None:
    def caller() -> None:
        with contextlib.suppress(PermissionDenied):
            query("police.criminal")
        with transaction.atomic():
            Department.objects.filter(code="market").update(name="改名")
            raise RuntimeError("the caller's own step fails")

    with pytest.raises(RuntimeError):
        caller()

    assert Department.objects.get(code="market").name == "市场监管局"
    assert _committed_count(AccessResult.DENIED) == 1


def test_share_type_choices_are_the_three_of_the_catalogue() -> None:
    assert set(ShareType.values) == {"unconditional", "conditional", "none"}
