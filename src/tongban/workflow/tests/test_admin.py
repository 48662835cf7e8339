from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tongban.workflow.engine import process_definition_get
from tongban.workflow.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("calendar-admin", password="x-pass-2026")
    client = Client()
    client.force_login(user)
    return client


def test_admins_filter_days_by_year_and_kind(admin_client: Client) -> None:
    response = admin_client.get("/admin/workflow/calendarday/", {"year": "2026", "kind": "workday"})
    assert response.status_code == 200
    shown = list(response.context["cl"].queryset.values_list("date", flat=True))
    assert [d.isoformat() for d in shown] == sorted(
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    )


def test_the_admin_refuses_a_duplicate_day(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/workflow/calendarday/add/",
        {"date": "2026-02-15", "kind": "holiday", "name": "春节", "name_en": ""},
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["adminform"].form.errors["date"]
    assert CalendarDay.objects.filter(date="2026-02-15").count() == 1


def test_the_admin_refuses_a_make_up_workday_on_a_weekday(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/workflow/calendarday/add/",
        {"date": "2027-01-06", "kind": "workday", "name": "元旦", "name_en": ""},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date"]
    assert not CalendarDay.objects.filter(date="2027-01-06").exists()


def test_adding_a_year_in_the_admin_calls_the_hook(
    admin_client: Client, entered_years: list[int]
) -> None:
    response = admin_client.post(
        "/admin/workflow/calendaryear/add/", {"year": "2027", "source": "通知", "entered_by": ""}
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).entered_by == "calendar-admin"
    assert entered_years == [2027]


def test_process_versions_are_read_only_in_the_admin_with_a_link_to_the_studio(
    admin_client: Client,
) -> None:
    definition = process_definition_get("instant")
    listing = admin_client.get("/admin/workflow/processdefinition/")
    assert listing.status_code == 200
    assert f"/workbench/studio/instant/{definition.version}/" in listing.content.decode()
    detail = admin_client.get(f"/admin/workflow/processdefinition/{definition.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/workflow/processdefinition/add/").status_code == 403
