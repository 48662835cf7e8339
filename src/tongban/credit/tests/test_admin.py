from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.catalog.models import Department
from tongban.conftest import APPLICANT_ID_NUMBER, ENTERPRISE_USCC
from tongban.credit.models import CreditRecord
from tongban.credit.tests.factories import GOOD_ROWS, make_person_record, make_record, xlsx
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/credit/creditrecord/import/"
LIST_URL = "/admin/credit/creditrecord/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("credit.xlsx", data)


def test_a_center_admin_imports_from_the_admin(center_admin: User) -> None:
    client = _client(center_admin)
    assert client.get(LIST_URL).status_code == 200
    assert "从 Excel 导入" in client.get(LIST_URL).content.decode()
    assert client.get(IMPORT_URL).status_code == 200
    response = client.post(IMPORT_URL, {"file": _upload(xlsx(GOOD_ROWS))})
    assert response.status_code == 302
    assert CreditRecord.objects.count() == 3
    assert "已导入 3 条信用记录" in client.get(response["Location"]).content.decode()


def test_the_import_page_shows_row_errors_and_saves_nothing(center_admin: User) -> None:
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][8] = "2026-02-30"
    response = _client(center_admin).post(IMPORT_URL, {"file": _upload(xlsx(rows))})
    assert response.status_code == 422
    page = response.content.decode()
    assert "第3行 I列（生效日期）" in page
    assert "未导入任何记录" in page
    assert CreditRecord.objects.count() == 0


def test_the_import_page_refuses_a_post_without_file(center_admin: User) -> None:
    response = _client(center_admin).post(IMPORT_URL, {})
    assert response.status_code == 200
    assert CreditRecord.objects.count() == 0


def test_a_center_admin_downloads_the_template(center_admin: User) -> None:
    response = _client(center_admin).get(IMPORT_URL + "template/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_a_superuser_may_import(departments: dict[str, Department]) -> None:
    root = User.objects.create_superuser("root", "root@example.org", "root-pass-1")
    response = _client(root).post(IMPORT_URL, {"file": _upload(xlsx(GOOD_ROWS[:1]))})
    assert response.status_code == 302
    assert CreditRecord.objects.count() == 1


@pytest.mark.parametrize("url", [IMPORT_URL, IMPORT_URL + "template/", LIST_URL])
def test_a_data_steward_is_refused(departments: dict[str, Department], url: str) -> None:
    from tongban.identity.services import staff_create

    steward = staff_create(
        username="steward", password="x-pass-2026", department_code="center", roles=["data_steward"]
    )
    assert _client(steward).get(url).status_code == 403


def test_a_clerk_cannot_reach_the_import(clerk: User) -> None:
    response = _client(clerk).post(IMPORT_URL, {"file": _upload(xlsx(GOOD_ROWS))})
    # Not admin staff at all: the admin sends the clerk to its login page.
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert CreditRecord.objects.count() == 0


def test_the_list_masks_resident_ids_but_not_credit_codes(center_admin: User) -> None:
    make_person_record(list_kind="black", level="D", legal_basis="《备忘录》")
    make_record()
    page = _client(center_admin).get(LIST_URL).content.decode()
    assert APPLICANT_ID_NUMBER not in page
    assert APPLICANT_ID_NUMBER[:3] + "*" in page
    assert ENTERPRISE_USCC in page


def test_the_list_finds_a_person_only_by_the_exact_number(center_admin: User) -> None:
    make_person_record(list_kind="black", level="D", legal_basis="《备忘录》")
    client = _client(center_admin)
    assert "张三" in client.get(LIST_URL, {"q": APPLICANT_ID_NUMBER}).content.decode()
    prefix = client.get(LIST_URL, {"q": APPLICANT_ID_NUMBER[:10]}).content.decode()
    assert "张三" not in prefix


def test_a_record_page_is_read_only_and_masked(center_admin: User) -> None:
    record = make_person_record(list_kind="black", level="D", legal_basis="《备忘录》")
    client = _client(center_admin)
    page = client.get(f"{LIST_URL}{record.pk}/change/")
    assert page.status_code == 200
    assert APPLICANT_ID_NUMBER not in page.content.decode()
    client.post(f"{LIST_URL}{record.pk}/change/", {"subject_name": "李四"})
    client.post(f"{LIST_URL}{record.pk}/delete/", {"post": "yes"})
    record.refresh_from_db()
    assert record.subject_name == "张三"
