"""The center admin configures the whole center in the Django admin; tickets are read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.counter.models import AppointmentSlot, CenterSection, Window
from tongban.counter.tests.factories import at, center_section, window
from tongban.identity.models import User

pytestmark = pytest.mark.django_db

PAGES = [
    "centersection",
    "window",
    "windowassignment",
    "negativelistentry",
    "ticket",
    "appointmentslot",
    "appointment",
    "bookingsuspension",
]


def _admin(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_center_admin_opens_every_page_of_the_center(center_admin: User) -> None:
    center = center_section("commerce", "A", name="商事登记")
    window("A1", center, clerk=center_admin)
    client = _admin(center_admin)
    for page in PAGES:
        assert client.get(f"/admin/counter/{page}/").status_code == 200, page
    for page in ("centersection", "window", "windowassignment", "negativelistentry"):
        assert client.get(f"/admin/counter/{page}/add/").status_code == 200, page
    window_page = client.get(f"/admin/counter/window/{Window.objects.get().pk}/change/")
    assert "受理事项" in window_page.content.decode()
    assert client.get("/admin/counter/ticket/add/").status_code == 403


def test_the_center_admin_sets_a_sections_hours(center_admin: User) -> None:
    center = center_section("commerce", "A", name="商事登记")
    response = _admin(center_admin).post(
        f"/admin/counter/centersection/{center.pk}/change/",
        {
            "section": center.section_id,
            "letter": "A",
            "is_open": "on",
            "opens_at": "08:30",
            "closes_at": "17:30",
            "break_start": "",
            "break_end": "",
            "slot_minutes": "20",
            "slot_capacity": "4",
            "default_service_minutes": "12",
        },
    )
    assert response.status_code == 302
    center.refresh_from_db()
    assert (f"{center.opens_at:%H:%M}", center.slot_minutes) == ("08:30", 20)


def test_a_slot_capacity_never_drops_below_its_bookings(center_admin: User) -> None:
    center = center_section("commerce", "A", name="商事登记")
    slot = AppointmentSlot.objects.create(
        section=center.section, start=at(10), end=at(10, 30), capacity=5, booked=3
    )
    client = _admin(center_admin)
    url = f"/admin/counter/appointmentslot/{slot.pk}/change/"
    form = {
        "capacity": "2",
        "appointments-TOTAL_FORMS": "0",
        "appointments-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 200 and "容量不能少于" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 5
    assert client.post(url, {**form, "capacity": "8"}).status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 8


def test_an_outsider_has_no_admin(outsider: User) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/admin/counter/window/").status_code == 302
    assert CenterSection.objects.count() == 0
