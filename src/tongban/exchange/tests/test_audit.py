"""The access log's hash chain: how rows are chained, and tampering that verify-audit finds."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.exchange import audit
from tongban.exchange.admin import AccessLogAdmin
from tongban.exchange.audit import GENESIS_HASH, access_log_append, audit_verify, subject_key
from tongban.exchange.models import AccessLog, AccessLogHead, DataResource
from tongban.exchange.selectors import access_log_for_case, access_log_for_subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(query: Any, population: DataResource) -> list[AccessLog]:
    """Five OK queries: a chain of five rows."""
    for _ in range(5):
        query("police.population")
    return list(AccessLog.objects.order_by("seq"))


def _verify_command() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _raw(sql: str, params: list[Any]) -> None:
    # Tampering as an intruder would: straight SQL, past the ORM and its hooks.
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", AccessLog._meta.db_table), params)


def test_rows_are_chained_from_64_zeros(chain: list[AccessLog]) -> None:
    assert chain[0].prev_hash == GENESIS_HASH == "0" * 64
    assert [r.seq for r in chain] == [1, 2, 3, 4, 5]
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.row_hash


def test_the_row_hash_is_sha256_of_the_canonical_json_of_every_other_column(
    chain: list[AccessLog],
) -> None:
    row = AccessLog.objects.get(seq=3)
    canonical = json.loads(audit.row_canonical(row))

    assert set(canonical) == {
        f.attname for f in AccessLog._meta.concrete_fields if f.attname not in {"id", "row_hash"}
    }
    assert canonical["seq"] == 3 and canonical["prev_hash"] == chain[1].row_hash
    expected = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert row.row_hash == expected


def test_the_subject_is_kept_only_as_a_keyed_hash_and_a_mask(chain: list[AccessLog]) -> None:
    row = chain[0]
    assert row.subject_key == subject_key(APPLICANT_ID_NUMBER)
    assert row.subject_key != hashlib.sha256(APPLICANT_ID_NUMBER.encode()).hexdigest()
    assert APPLICANT_ID_NUMBER not in json.dumps(audit.row_canonical(row).decode())
    with override_settings(SECRET_KEY="another-secret-key-of-another-installation-1234"):
        assert subject_key(APPLICANT_ID_NUMBER) != row.subject_key
    assert len(row.subject_key) == 64 and int(row.subject_key, 16) >= 0
    assert not hmac.compare_digest(row.subject_key, subject_key("310101198503120000"))


def test_an_intact_chain_verifies(chain: list[AccessLog]) -> None:
    verdict = audit_verify()

    assert verdict.ok and verdict.checked == 5 and verdict.first_bad_seq is None


def test_an_empty_log_verifies(db: None) -> None:
    assert audit_verify().ok


def test_verify_audit_prints_progress_and_the_verdict(
    chain: list[AccessLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)

    code, out, _err = _verify_command()

    assert code == 0
    assert "已校验 2 条" in out and "已校验 4 条" in out
    assert "审计链完整：共 5 条记录" in out


def test_verification_reads_in_batches(
    chain: list[AccessLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)

    assert audit_verify().checked == 5


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("purpose", "随便看看"),
        ("result", "denied"),
        ("case_no", "ZZ-0000"),
        ("subject_masked", "***"),
        ("fields_returned", '["name"]'),
    ],
)
def test_an_edited_column_is_found(chain: list[AccessLog], column: str, value: str) -> None:
    _raw(f"UPDATE {{t}} SET {column} = %s WHERE seq = 3", [value])  # noqa: S608  (test columns)

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 3
    assert "被修改" in verdict.reason
    code, _out, err = _verify_command()
    assert code == 1
    assert "第 3 条" in err and len(err.strip().splitlines()) == 1


def test_an_edited_time_is_found(chain: list[AccessLog]) -> None:
    AccessLog.objects.filter(seq=2).update(at=timezone.now())

    assert audit_verify().first_bad_seq == 2


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain: list[AccessLog]) -> None:
    row = AccessLog.objects.get(seq=2)
    row.purpose = "改写后的用途"
    row.row_hash = audit.row_hash(row)
    _raw("UPDATE {t} SET purpose = %s, row_hash = %s WHERE seq = 2", [row.purpose, row.row_hash])

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 3
    assert "不衔接" in verdict.reason


def test_a_deleted_row_is_found(chain: list[AccessLog]) -> None:
    _raw("DELETE FROM {t} WHERE seq = 3", [])

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 3
    assert "缺失" in verdict.reason
    assert _verify_command()[0] == 1


def test_a_deleted_tail_is_found(chain: list[AccessLog]) -> None:
    _raw("DELETE FROM {t} WHERE seq >= 4", [])

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 4
    assert verdict.checked == 3
    assert _verify_command()[0] == 1


def test_two_swapped_rows_are_found(chain: list[AccessLog]) -> None:
    # Swap the positions of rows 2 and 4 (seq is unique, so via a free number).
    _raw("UPDATE {t} SET seq = 1000 WHERE seq = 2", [])
    _raw("UPDATE {t} SET seq = 2 WHERE seq = 4", [])
    _raw("UPDATE {t} SET seq = 4 WHERE seq = 1000", [])

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 2
    assert _verify_command()[0] == 1


def test_a_row_inserted_into_the_chain_is_found(chain: list[AccessLog]) -> None:
    # A careful forger makes room at position 3 and gives the new row a correct own hash.
    _raw("UPDATE {t} SET seq = seq + 101 WHERE seq >= 3", [])
    forged = AccessLog.objects.get(seq=104)
    forged.pk = None
    forged.seq = 3
    forged.purpose = "伪造的记录"
    forged.row_hash = audit.row_hash(forged)
    forged.save()
    _raw("UPDATE {t} SET seq = seq - 100 WHERE seq >= 104", [])

    verdict = audit_verify()

    assert not verdict.ok and verdict.first_bad_seq == 4
    assert "不衔接" in verdict.reason


def test_the_head_follows_the_last_row(chain: list[AccessLog]) -> None:
    head = AccessLogHead.objects.get()
    assert head.seq == 5 and head.row_hash == chain[-1].row_hash


def test_the_access_log_is_read_only_in_the_admin_even_for_superusers(
    rf: Any, chain: list[AccessLog]
) -> None:
    from django.contrib.admin.sites import site

    from tongban.identity.models import User

    request = rf.get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    model_admin = AccessLogAdmin(AccessLog, site)

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, chain[0])
    assert not model_admin.has_delete_permission(request, chain[0])


def test_selectors_find_a_citizens_and_a_cases_accesses(
    chain: list[AccessLog], applicant: Any, outsider: Any, case: Any
) -> None:
    assert [r.seq for r in access_log_for_subject(user=applicant)] == [5, 4, 3, 2, 1]
    assert not access_log_for_subject(user=outsider).exists()
    assert [r.seq for r in access_log_for_case(case=case)] == [1, 2, 3, 4, 5]


# --- concurrent writers --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain(departments: dict[str, Department]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (BEGIN IMMEDIATE) by itself")
    market = departments["market"]
    per_thread = 25
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    access_log_append(
                        AccessLog(
                            at=timezone.now(),
                            department=market,
                            resource_code="police.population",
                            subject_key=subject_key(APPLICANT_ID_NUMBER),
                            subject_masked="310***********0031",
                            purpose="并发测试",
                            result="ok",
                        )
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(AccessLog.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 4 * per_thread + 1)
    )
    assert audit_verify().ok
