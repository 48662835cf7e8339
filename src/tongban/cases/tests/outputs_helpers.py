"""What the tests of a case's results share: matters that issue a licence, deciding a case."""

from __future__ import annotations

from typing import Any

from tongban.cases import services
from tongban.cases.choices import TaskKind
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.tests.conftest import DRAINAGE_FORM, DRAINAGE_MATERIALS
from tongban.cases.tests.factories import open_task
from tongban.catalog.models import Matter
from tongban.catalog.services import certificate_type_upsert, matter_upsert, section_upsert
from tongban.identity.models import User

ADDRESS = {
    "recipient": "张三",
    "phone": "13800001234",
    "province": "上海市",
    "city": "上海市",
    "district": "嘉定区",
    "address": "示范路1号2幢301室",
}


def permit(code: str, *, fee: str = "0", process_params: dict[str, Any] | None = None) -> Matter:
    section_upsert(code="construction", fields={"name": "投资建设"})
    certificate_type_upsert(code="drainage-licence", name="排水许可证", department="market")
    return matter_upsert(
        code=code,
        fields={
            "name": "排水许可（出证）",
            "kind": "licence",
            "audience": "both",
            "department": "market",
            "section": "construction",
            "legal_limit_days": 20,
            "promised_limit_days": 6,
            "online_depth": "full_online",
            "channels": ["online", "window"],
            "form_schema": DRAINAGE_FORM,
            "process": "standard_approval",
            "process_params": process_params or {},
            "certificate_type": "drainage-licence",
            "fee": fee,
        },
        materials=DRAINAGE_MATERIALS,
    )


def decide(case: Case, clerk: User, reviewer: User, approver: User) -> Case:
    services.task_complete(actor=clerk, task=open_task(case, TaskKind.ACCEPT), decision="accept")
    services.task_complete(actor=reviewer, task=open_task(case, TaskKind.REVIEW), decision="pass")
    services.task_complete(
        actor=approver, task=open_task(case, TaskKind.DECIDE), decision="approve"
    )
    case.refresh_from_db()
    return case


def step_texts(case: Case) -> list[str]:
    return list(TimelineEntry.objects.filter(case=case).values_list("step", flat=True))
