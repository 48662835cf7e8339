"""好差评 in the Django admin: read-only, since ratings, answers and appeals go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.evaluation.models import Appeal, Evaluation, Invitation, RatingRequest


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(_ReadOnlyAdmin):
    list_display = [
        "case",
        "stage",
        "score",
        "channel",
        "department",
        "matter",
        "rated_at",
        "follow_up_due_date",
        "answered_at",
        "excluded_at",
    ]
    list_filter = ["stage", "score", "channel", "department"]
    search_fields = ["case__case_no", "comment", "answer"]
    date_hierarchy = "rated_at"


@admin.register(Appeal)
class AppealAdmin(_ReadOnlyAdmin):
    list_display = ["evaluation", "kind", "state", "opened_at", "decided_at"]
    list_filter = ["state", "kind"]


@admin.register(Invitation)
class InvitationAdmin(_ReadOnlyAdmin):
    list_display = ["case", "stage", "invited_at"]
    list_filter = ["stage"]


@admin.register(RatingRequest)
class RatingRequestAdmin(_ReadOnlyAdmin):
    list_display = ["case", "stage", "opened_by", "opened_at", "expires_at", "used_at"]
    exclude = ["token"]
