"""微查询 over HTTP: a case's status by its number and the applicant's ID, no sign-in.

A wrong ID answers exactly as an unknown case (404), and failures are throttled
per client IP, so the endpoint cannot be used to find case numbers or IDs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from tongban.cases import selectors
from tongban.cases.schemas import MicroCaseOut
from tongban.core.errors import NotFound, TooManyAttempts
from tongban.core.problems import domain_error_response
from tongban.identity.throttle import client_ip, micro_query_throttle

router = Router(tags=["micro"])


@router.get(
    "/micro/cases/{case_no}",
    response={200: MicroCaseOut},
    auth=None,
    summary="微查询：凭办件编号和申请人证件号码查询办理状态",
)
def micro_case(request: HttpRequest, case_no: str, id: str = "") -> Any:
    throttle = micro_query_throttle()
    client = client_ip(request)
    try:
        throttle.check(client=client)
        try:
            view = selectors.case_micro_query(case_no=case_no, applicant_id=id)
        except NotFound:
            throttle.fail(client=client)
            raise
    except TooManyAttempts as exc:
        response: HttpResponse = domain_error_response(request, exc)
        response["Retry-After"] = str(throttle.cool_off_seconds)
        return response
    return {**vars(view), "steps": [vars(step) for step in view.steps]}
