"""The service center's public pages: the hall (kiosk, ticket, call screen) and 微门户 (/m/)."""

from django.urls import path

from tongban.portal import views_center, views_micro

urlpatterns = [
    path("center/ticket/", views_center.kiosk, name="kiosk"),
    path("center/ticket/matters/", views_center.kiosk_matters, name="kiosk_matters"),
    path("center/tickets/<str:number>/", views_center.ticket, name="ticket"),
    path("center/screen/", views_center.call_screen, name="call_screen"),
    path("center/screen/board/", views_center.call_screen_board, name="call_screen_board"),
    path("m/", views_micro.home, name="m_home"),
    path("m/matters/<slug:code>/", views_micro.matter, name="m_matter"),
    path("m/query/", views_micro.query, name="m_query"),
    path("m/appointments/", views_micro.appointments, name="m_appointments"),
    path("m/appointments/new/", views_micro.appointment_new, name="m_appointment_new"),
    path(
        "m/appointments/<int:appointment_id>/cancel/",
        views_micro.appointment_cancel,
        name="m_appointment_cancel",
    ),
    path("m/ticket/", views_micro.ticket, name="m_ticket"),
]
