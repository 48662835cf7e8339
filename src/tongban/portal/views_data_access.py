"""谁用了我的数据: every look-up of the signed-in citizen's data (and their enterprises')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongban.cases import selectors as cases_selectors
from tongban.catalog.models import localized
from tongban.exchange.choices import AccessResult
from tongban.exchange.models import AccessLog, DataField, DataResource
from tongban.exchange.selectors import access_log_for_subject
from tongban.identity.models import User

#: Accesses shown per page.
PAGE_SIZE = 20


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    department: str
    resource: str
    resource_code: str
    subject_masked: str
    case_no: str
    #: The case on the citizen's own pages, when it is theirs (or their enterprise's).
    case_id: int | None
    purpose: str
    result: str
    result_label: str
    fields: list[str]


def _rows(user: User, logs: list[AccessLog]) -> list[AccessRow]:
    codes = {log.resource_code for log in logs}
    resources = {r.code: r for r in DataResource.objects.filter(code__in=codes)}
    labels = {
        (f.resource.code, f.code): localized(f, "name")
        for f in DataField.objects.filter(resource__code__in=codes).select_related("resource")
    }
    own = set(
        cases_selectors.case_list_for_applicant(user=user)
        .filter(pk__in=[log.case_id for log in logs if log.case_id])
        .values_list("pk", flat=True)
    )
    out = []
    for log in logs:
        resource = resources.get(log.resource_code)
        out.append(
            AccessRow(
                at=log.at,
                department=localized(log.department, "name"),
                resource=localized(resource, "name") if resource else log.resource_code,
                resource_code=log.resource_code,
                subject_masked=log.subject_masked,
                case_no=log.case_no,
                case_id=log.case_id if log.case_id in own else None,
                purpose=log.purpose,
                result=log.result,
                result_label=str(AccessResult(log.result).label)
                if log.result in AccessResult.values
                else log.result,
                fields=[
                    labels.get((log.resource_code, str(f)), str(f))
                    for f in log.fields_returned or []
                ],
            )
        )
    return out


@login_required
def data_access(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    logs = access_log_for_subject(user=user).select_related("department").order_by("-seq")
    page = Paginator(logs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": _rows(user, list(page.object_list))}
    return render(request, "portal/data/access.html", context)
