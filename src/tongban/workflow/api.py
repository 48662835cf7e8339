from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router

from tongban.workflow.calendar import MAX_WORKING_DAYS
from tongban.workflow.schemas import DueOut
from tongban.workflow.selectors import calendar_due

router = Router(tags=["calendar"])


@router.get("/calendar/due", response=DueOut, by_alias=True, auth=None)
def calendar_due_get(
    request: HttpRequest,
    from_: date = Query(..., alias="from", description="受理日 YYYY-MM-DD"),  # noqa: B008
    days: int = Query(..., ge=0, le=MAX_WORKING_DAYS, description="工作日数"),
) -> dict[str, object]:
    """Last day of N working days for a case accepted on `from` (that day not counted)."""
    due = calendar_due(start=from_, days=days)
    return {"due_date": due.due_date, "provisional": due.provisional, "from": from_, "days": days}
