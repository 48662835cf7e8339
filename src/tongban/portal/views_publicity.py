"""Public pages of published results (结果公开): no sign-in, nothing personal unmasked."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tongban.cases.services import joint_review

#: Permits per page of the public list.
PERMITS_PER_PAGE = 50


@require_GET
def permit_list(request: HttpRequest) -> HttpResponse:
    """建设工程施工许可 issued after joint review, each with a link to its verification page."""
    query = request.GET.get("q", "").strip()[:100]
    permits = joint_review.permits_published(query=query)
    page = Paginator(permits, PERMITS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/publicity/permits.html", {"page": page, "q": query})
