"""Applying online and 我的办件 (issue 3), inside the portal namespace."""

from django.urls import path

from tongban.portal import (
    views_case_actions,
    views_cases,
    views_data_access,
    views_evaluation,
    views_guidance,
    views_my,
    views_themes,
)

urlpatterns = [
    path("apply/theme/<slug:theme_code>/", views_themes.theme_apply, name="theme_apply"),
    path("apply/<slug:matter_code>/", views_cases.apply, name="apply"),
    path("my/cases/", views_cases.my_cases, name="my_cases"),
    path("my/certificates/", views_my.my_certificates, name="my_certificates"),
    path("my/notifications/", views_my.my_notifications, name="my_notifications"),
    path("my/cases/<int:case_id>/", views_cases.my_case, name="my_case"),
    path(
        "my/cases/<int:case_id>/materials/<int:material_id>/",
        views_cases.my_case_material,
        name="my_case_material",
    ),
    path("my/cases/<int:case_id>/edit/", views_cases.my_case_edit, name="my_case_edit"),
    path("my/cases/<int:case_id>/check/", views_cases.my_case_check, name="my_case_check"),
    path("my/cases/<int:case_id>/receipt.pdf", views_my.my_case_receipt, name="my_case_receipt"),
    path(
        "my/cases/<int:case_id>/supplement/",
        views_case_actions.my_case_supplement,
        name="my_case_supplement",
    ),
    path(
        "my/cases/<int:case_id>/withdraw/",
        views_case_actions.my_case_withdraw,
        name="my_case_withdraw",
    ),
    path(
        "my/cases/<int:case_id>/confirm/",
        views_case_actions.my_case_confirm,
        name="my_case_confirm",
    ),
    path("my/cases/<int:case_id>/pay/", views_case_actions.my_case_pay, name="my_case_pay"),
    path(
        "my/cases/<int:case_id>/deferred/",
        views_case_actions.my_case_deferred,
        name="my_case_deferred",
    ),
    path(
        "my/cases/<int:case_id>/delivery/",
        views_case_actions.my_case_delivery,
        name="my_case_delivery",
    ),
    path(
        "my/cases/<int:case_id>/evaluate/",
        views_evaluation.my_case_evaluate,
        name="my_case_evaluate",
    ),
    path("evaluations/", views_evaluation.scores, name="evaluation_scores"),
    path("rate/<str:token>/", views_evaluation.device_rate, name="device_rate"),
    path("my/data-access/", views_data_access.data_access, name="my_data_access"),
    path("guidance/new/<slug:matter_code>/", views_guidance.guidance_new, name="guidance_new"),
    path("my/guidance/", views_guidance.my_guidance, name="my_guidance"),
    path(
        "my/guidance/<int:guidance_id>/",
        views_guidance.my_guidance_detail,
        name="my_guidance_detail",
    ),
]
