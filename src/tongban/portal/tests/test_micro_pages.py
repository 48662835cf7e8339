"""微门户 through the test client: information, 微查询, 微预约 and a ticket from the phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tongban.cases.tests.conftest import _matter
from tongban.cases.tests.factories import case_submitted
from tongban.catalog.models import Matter
from tongban.conftest import APPLICANT_ID_NUMBER
from tongban.counter import services as counter_services
from tongban.counter.models import Appointment, AppointmentSlot, NegativeListEntry, Ticket
from tongban.identity.models import User
from tongban.portal.tests.center_fixtures import (
    Hall,
    sign_in,
)
from tongban.workflow.calendar import SHANGHAI

pytestmark = pytest.mark.usefixtures("catalogue")

#: Wednesday 16 September 2026, the working day after the hall clock's.
NEXT_DAY = dt.date(2026, 9, 16)
NINE_THIRTY = dt.datetime(2026, 9, 16, 9, 30, tzinfo=SHANGHAI)


def html(response: Any) -> str:
    return response.content.decode()


def english(client: Client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Any:
    cache.clear()
    yield
    cache.clear()


# --- information ------------------------------------------------------------------------------


def test_the_home_page_shows_todays_queue_and_hours(client: Client, hall: Hall) -> None:
    counter_services.ticket_issue(section_code="social")
    response = client.get("/m/")
    assert response.status_code == 200
    page = html(response)
    assert 'name="viewport"' in page
    assert "今日排队" in page and "商事登记" in page
    assert "工作日 09:00–12:00、13:30–17:00" in page and "工作日 09:00–17:00" in page
    assert "办公中" in page
    assert 'data-section="social"' in page
    assert "微查询" in page and "微预约" in page and "手机取号" in page


def test_the_home_page_in_english(client: Client, hall: Hall) -> None:
    english(client)
    page = html(client.get("/m/"))
    assert "Today's queues" in page and "Business Registration" in page
    assert "Working days 09:00–12:00, 13:30–17:00" in page
    assert "Case status" in page and "Ticket by phone" in page


def test_the_home_page_finds_guides(client: Client, hall: Hall) -> None:
    page = html(client.get("/m/", {"q": "居住证"}))
    assert "/m/matters/residence-permit/" in page
    assert "没有找到" in html(client.get("/m/", {"q": "火星移民"}))


def test_a_guide_summary_names_section_windows_hours_and_queue(client: Client, hall: Hall) -> None:
    response = client.get("/m/matters/food-business-licence/")
    assert response.status_code == 200
    page = html(response)
    assert "食品经营许可" in page and "商事登记" in page
    assert "1号综合窗口" in page
    assert "工作日 09:00–12:00、13:30–17:00" in page
    assert "data-waiting>0 人" in page
    assert "/m/appointments/new/?section=commerce&amp;matter=food-business-licence" in page
    english(client)
    page = html(client.get("/m/matters/food-business-licence/"))
    assert "Food Business Licence" in page and "Window 1" in page and "Opening hours" in page


def test_a_guide_summary_of_a_matter_outside_the_center_says_where(
    client: Client, hall: Hall
) -> None:
    NegativeListEntry.objects.create(
        matter=Matter.objects.get(code="public-place-hygiene"),
        reason="需现场检测",
        handled_at="嘉定区卫生监督所",
    )
    page = html(client.get("/m/matters/public-place-hygiene/"))
    assert "本事项不进驻行政服务中心" in page and "请到嘉定区卫生监督所办理" in page
    assert "/m/ticket/" not in page.split("m-tabs")[0]  # no ticket button for it


def test_an_unknown_guide_is_404(client: Client, hall: Hall) -> None:
    assert client.get("/m/matters/no-such-matter/").status_code == 404


# --- 微查询 -------------------------------------------------------------------------------------


@pytest.fixture
def drainage_case(hall: Hall, departments: Any, applicant: User) -> Any:
    _matter("drainage-permit", "排水许可", "standard_approval", 6)
    return case_submitted(applicant=applicant)


def test_micro_query_shows_the_status_of_a_case(client: Client, drainage_case: Any) -> None:
    assert client.get("/m/query/").status_code == 200
    response = client.post(
        "/m/query/", {"case_no": drainage_case.case_no, "id": APPLICANT_ID_NUMBER}
    )
    assert response.status_code == 200
    page = html(response)
    assert drainage_case.case_no in page and "排水许可" in page
    assert 'data-status="submitted"' in page and "提交" in page
    assert APPLICANT_ID_NUMBER not in page and "张三" not in page
    assert "no-store" in response["Cache-Control"]


def test_micro_query_in_english(client: Client, drainage_case: Any) -> None:
    english(client)
    page = html(
        client.post("/m/query/", {"case_no": drainage_case.case_no, "id": APPLICANT_ID_NUMBER})
    )
    assert "Case number" in page and "Submission" in page


def test_a_wrong_id_reads_as_an_unknown_case(
    client: Client, drainage_case: Any, outsider: User
) -> None:
    wrong = client.post(
        "/m/query/", {"case_no": drainage_case.case_no, "id": outsider.person.id_number}
    )
    unknown = client.post("/m/query/", {"case_no": "JD00000000000000", "id": APPLICANT_ID_NUMBER})
    assert wrong.status_code == unknown.status_code == 404
    message = "未找到该办件，请核对办件编号和证件号码"
    assert message in html(wrong) and message in html(unknown)
    assert "排水许可" not in html(wrong)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请填写办件编号"),
        ({"case_no": "X"}, "请填写申请人身份证号码"),
    ],
)
def test_micro_query_refuses_missing_or_bad_input(
    client: Client, hall: Hall, data: dict[str, str], message: str
) -> None:
    response = client.post("/m/query/", data)
    assert response.status_code in (404, 422)
    assert message in html(response)


def test_micro_query_is_throttled_and_never_echoes_the_id(
    client: Client, drainage_case: Any, settings: Any
) -> None:
    settings.MICRO_QUERY_FAILURE_LIMIT = 2
    for guess in ("110101199001011234", "110101199001015678"):
        response = client.post("/m/query/", {"case_no": drainage_case.case_no, "id": guess})
        assert response.status_code == 404
        assert guess not in html(response)
    locked = client.post("/m/query/", {"case_no": drainage_case.case_no, "id": APPLICANT_ID_NUMBER})
    assert locked.status_code == 429
    assert "查询失败次数过多" in html(locked)


# --- 微预约 -------------------------------------------------------------------------------------


def test_appointments_need_sign_in(client: Client, hall: Hall) -> None:
    for url in ("/m/appointments/", "/m/appointments/new/", "/m/ticket/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_person_books_a_slot_and_sees_it(client: Client, hall: Hall, applicant: User) -> None:
    sign_in(client, applicant)
    page = html(client.get("/m/appointments/new/", {"section": "commerce", "day": "2026-09-16"}))
    assert "09:30–10:00" in page and "余 2 个" in page
    response = client.post(
        "/m/appointments/new/",
        {
            "section": "commerce",
            "matter": "",
            "day": "2026-09-16",
            "start": NINE_THIRTY.isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/m/appointments/"
    appointment = Appointment.objects.get(user=applicant)
    page = html(client.get("/m/appointments/"))
    assert appointment.code in page and "2026-09-16 09:30" in page and "取消预约" in page
    assert "预约成功" in page


def test_the_booking_page_in_english(client: Client, hall: Hall, applicant: User) -> None:
    sign_in(client, applicant)
    english(client)
    page = html(client.get("/m/appointments/new/", {"section": "commerce", "day": "2026-09-16"}))
    assert "Slots on 2026-09-16" in page and "2 places left" in page and "Book" in page


def test_a_full_slot_is_refused_with_409_and_books_nothing(
    client: Client, hall: Hall, applicant: User, outsider: User, agent_user: User
) -> None:
    for person in (outsider, agent_user):
        counter_services.appointment_book(actor=person, section_code="commerce", start=NINE_THIRTY)
    sign_in(client, applicant)
    page = html(client.get("/m/appointments/new/", {"section": "commerce", "day": "2026-09-16"}))
    assert "已约满" in page
    response = client.post(
        "/m/appointments/new/",
        {"section": "commerce", "day": "2026-09-16", "start": NINE_THIRTY.isoformat()},
    )
    assert response.status_code == 409
    assert "该时段已约满" in html(response)
    assert not Appointment.objects.filter(user=applicant).exists()
    assert AppointmentSlot.objects.get().booked == 2


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"section": "commerce", "day": "2026-09-16"}, 422, "请选择一个时段"),
        ({"section": "commerce", "day": "2026-09-16", "start": "soon"}, 422, "所选时段无效"),
        ({"section": "commerce", "day": "16/09/2026", "start": "x"}, 422, "请按“年-月-日”选择日期"),
        (
            {"section": "commerce", "day": "2026-09-15", "start": "2026-09-15T09:30:00+08:00"},
            422,
            "预约时间应晚于当前时间",
        ),
        (
            {"section": "commerce", "day": "2026-10-01", "start": "2026-10-01T09:30:00+08:00"},
            422,
            "不是工作日",
        ),
        (
            {"section": "commerce", "day": "2026-09-16", "start": "2026-09-16T12:30:00+08:00"},
            422,
            "不在办公时间内",
        ),
        (
            {"section": "nowhere", "day": "2026-09-16", "start": "2026-09-16T09:30:00+08:00"},
            422,
            "板块不存在",
        ),
    ],
)
def test_a_bad_booking_is_refused_clearly_and_books_nothing(
    client: Client, hall: Hall, applicant: User, data: dict[str, str], status: int, message: str
) -> None:
    sign_in(client, applicant)
    response = client.post("/m/appointments/new/", data)
    assert response.status_code == status, html(response)[:2000]
    assert message in html(response)
    assert not Appointment.objects.exists()


def test_a_holiday_has_no_slots(client: Client, hall: Hall, applicant: User) -> None:
    sign_in(client, applicant)
    page = html(client.get("/m/appointments/new/", {"section": "commerce", "day": "2026-10-01"}))
    assert 'id="no-slots"' in page


def test_a_person_cancels_their_own_appointment_but_not_anothers(
    client: Client, hall: Hall, applicant: User, outsider: User
) -> None:
    mine = counter_services.appointment_book(
        actor=applicant, section_code="commerce", start=NINE_THIRTY
    )
    theirs = counter_services.appointment_book(
        actor=outsider, section_code="commerce", start=NINE_THIRTY
    )
    sign_in(client, applicant)
    assert client.post(f"/m/appointments/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    assert theirs.code not in html(client.get("/m/appointments/"))
    response = client.post(f"/m/appointments/{mine.pk}/cancel/")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "cancelled"
    assert client.get(f"/m/appointments/{mine.pk}/cancel/").status_code == 405


# --- a ticket from the phone ------------------------------------------------------------------


def test_a_signed_in_person_takes_a_ticket_on_the_phone(
    client: Client, hall: Hall, applicant: User
) -> None:
    sign_in(client, applicant)
    assert "手机取号" in html(client.get("/m/ticket/"))
    response = client.post("/m/ticket/", {"section": "social", "matter": "residence-permit"})
    assert response.status_code == 302 and response["Location"] == "/center/tickets/B001/"
    ticket = Ticket.objects.get()
    assert ticket.source == "phone" and ticket.user == applicant
    assert "B001" in html(client.get(response["Location"]))


def test_a_phone_ticket_with_bad_input_is_refused(
    client: Client, hall: Hall, applicant: User
) -> None:
    sign_in(client, applicant)
    response = client.post("/m/ticket/", {"section": "social", "appointment": "ZZZZ"})
    assert response.status_code == 422
    assert "预约码无效" in html(response)
    assert not Ticket.objects.exists()
