"""统一出件 over HTTP: the results waiting at the center's output window, and their hand-over."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from tongban.cases import selectors
from tongban.cases.api.applications import case_out
from tongban.cases.schemas import CaseOut, HandOverIn, OutputOut
from tongban.cases.services.output_window import output_hand_over
from tongban.identity.auth import signed_in
from tongban.identity.models import User

router = Router(auth=signed_in, tags=["counter"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.get("/counter/outputs", response=list[OutputOut], summary="待出件结果（统一出件窗口）")
def output_list(request: HttpRequest, state: str = "ready", q: str = "") -> list[dict[str, Any]]:
    """Center window clerks: results to hand over, searchable by case no, ticket or ID number."""
    rows = selectors.outputs_for_window(user=_user(request), state=state, q=q)
    return [vars(row) for row in rows]


@router.post(
    "/counter/outputs/{case_id}/hand-over", response=CaseOut, summary="窗口交付（统一出件）"
)
def output_hand_over_view(
    request: HttpRequest, case_id: int, payload: HandOverIn
) -> dict[str, Any]:
    """Hand the result over to the holder, an agent, or someone with written authorisation."""
    user = _user(request)
    case = selectors.output_get_for_window(user=user, case_id=case_id)
    output_hand_over(
        actor=user,
        case=case,
        id_number=payload.id_number,
        signed=payload.signed,
        agent_authorisation=payload.agent_authorisation or "",
    )
    case.refresh_from_db()
    return case_out(user=user, case=case)
