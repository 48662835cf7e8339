"""A citizen's own space beside 我的办件: 我的证照 and 消息通知."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from tongban.cases import selectors_my
from tongban.cases.receipt import case_receipt_pdf
from tongban.core.errors import NotFound
from tongban.portal.case_pages import own_case_or_404, request_user

#: Notices shown per page.
PAGE_SIZE = 20


@login_required
def my_certificates(request: HttpRequest) -> HttpResponse:
    licences = selectors_my.my_licences(user=request_user(request))
    rows = [
        {
            "licence": licence,
            "pdf_url": reverse("api:certificate_pdf", kwargs={"number": licence.number})
            if licence.issued_here
            else "",
            "verify_url": request.build_absolute_uri(
                reverse("certificates:verify", kwargs={"number": licence.number})
            )
            if licence.issued_here
            else "",
        }
        for licence in licences
    ]
    return render(request, "portal/my/certificates.html", {"rows": rows})


@login_required
def my_case_receipt(request: HttpRequest, case_id: int) -> HttpResponse:
    """申请回执 (PDF) of a submitted case, for its applicant only."""
    case = own_case_or_404(request, case_id)
    try:
        pdf = case_receipt_pdf(case=case)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{case.case_no}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_notifications(request: HttpRequest) -> HttpResponse:
    notices = selectors_my.my_notifications(user=request_user(request))
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/my/notifications.html", {"page": page})
