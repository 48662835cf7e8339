from django.urls import path

from tongban.workbench import (
    views,
    views_actions,
    views_counter,
    views_desk,
    views_evaluation,
    views_guidance,
    views_heatmap,
    views_processes,
    views_stats,
    views_studio,
)

app_name = "workbench"
urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path(
        "cases/<int:case_id>/materials/<int:material_id>/",
        views.material_view,
        name="material",
    ),
    path("cases/<int:case_id>/extend/", views_actions.case_extend, name="extend"),
    path("cases/<int:case_id>/pickup/", views_actions.case_pickup, name="pickup"),
    path(
        "cases/<int:case_id>/parcel-advance/",
        views_actions.case_parcel_advance,
        name="parcel_advance",
    ),
    path("counter/window/", views_counter.my_window, name="my_window"),
    path("counter/center/", views_counter.center_day, name="center_day"),
    path("guidance/", views_guidance.guidance_list, name="guidance"),
    path("stats/", views_stats.stats_dashboard, name="stats"),
    path("processes/", views_processes.process_list, name="processes"),
    path(
        "processes/<slug:name>/<int:version>/",
        views_processes.process_detail,
        name="process",
    ),
    path(
        "processes/<slug:name>/heatmap/",
        views_heatmap.process_heatmap,
        name="process_heatmap",
    ),
    path(
        "processes/<slug:name>/heatmap/nodes/<str:node>/",
        views_heatmap.process_heatmap_node,
        name="process_heatmap_node",
    ),
    path(
        "guidance/<int:guidance_id>/",
        views_guidance.guidance_detail,
        name="guidance_detail",
    ),
    # 前台综合受理 and 统一出件 (center window clerks on duty).
    path("desk/accept/", views_desk.desk_accept, name="desk_accept"),
    path("desk/cases/<int:case_id>/", views_desk.desk_case, name="desk_case"),
    path("desk/cases/<int:case_id>/receipt/", views_desk.desk_receipt, name="desk_receipt"),
    path("desk/outputs/", views_desk.desk_outputs, name="desk_outputs"),
    path(
        "desk/outputs/<int:case_id>/hand-over/",
        views_desk.desk_hand_over,
        name="desk_hand_over",
    ),
    path("evaluations/", views_evaluation.evaluation_list, name="evaluations"),
    path(
        "evaluations/<int:evaluation_id>/answer/",
        views_evaluation.evaluation_answer,
        name="evaluation_answer",
    ),
    path(
        "evaluations/<int:evaluation_id>/appeal/",
        views_evaluation.evaluation_appeal,
        name="evaluation_appeal",
    ),
    path("evaluation-appeals/", views_evaluation.appeal_list, name="appeals"),
    path(
        "evaluation-appeals/<int:appeal_id>/decide/",
        views_evaluation.appeal_decide,
        name="appeal_decide",
    ),
    path(
        "cases/<int:case_id>/rating-request/",
        views_evaluation.rating_request,
        name="rating_request_open",
    ),
    path(
        "rating-requests/<int:request_id>/",
        views_evaluation.rating_request_show,
        name="rating_request",
    ),
    # 流程工作室 (center admins): new versions of the processes, four eyes.
    path("studio/", views_studio.studio_list, name="studio"),
    path("studio/<slug:name>/", views_studio.studio_process, name="studio_process"),
    path("studio/<slug:name>/upload/", views_studio.studio_upload, name="studio_upload"),
    path("studio/<slug:name>/modeler/", views_studio.studio_modeler, name="studio_modeler"),
    path("studio/<slug:name>/<int:version>/", views_studio.studio_version, name="studio_version"),
    path(
        "studio/<slug:name>/<int:version>/source.xml",
        views_studio.studio_source,
        name="studio_source",
    ),
    path(
        "studio/<slug:name>/<int:version>/approve/",
        views_studio.studio_approve,
        name="studio_approve",
    ),
    path(
        "studio/<slug:name>/<int:version>/reject/",
        views_studio.studio_reject,
        name="studio_reject",
    ),
    path("tasks/<int:task_id>/claim/", views_actions.task_claim, name="claim"),
    path("tasks/<int:task_id>/decide/", views_actions.task_decide, name="decide"),
    path("tasks/<int:task_id>/supplement/", views_actions.task_supplement, name="supplement"),
]
