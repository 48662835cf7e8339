"""What the applicant's case pages share: finding the caller's case, posted files, errors."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from tongban.cases import selectors as cases_selectors
from tongban.cases.choices import (
    CaseStatus,
    MaterialOrigin,
    MaterialStatus,
)
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.rules import is_applicant
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import Matter
from tongban.core.errors import DomainError, FieldError, NotFound
from tongban.identity.models import User

#: Input name of a material's file on the edit and supplement pages: ``file.<requirement>``.
FILE_PREFIX = "file."
#: Inputs of the promised date of a deferred (容缺) material: ``defer.<code>``.
DEFER_PREFIX = "defer."
#: Status code of a page shown again with field errors (as the API's 422).
UNPROCESSABLE = 422

#: The colour family of each status badge (waiting, the applicant must act, good, bad).
STATUS_TONE: dict[str, str] = {
    CaseStatus.DRAFT: "draft",
    CaseStatus.AWAITING_PARTIES: "action",
    CaseStatus.SUBMITTED: "progress",
    CaseStatus.ACCEPTED: "progress",
    CaseStatus.UNDER_REVIEW: "progress",
    CaseStatus.SUPPLEMENT_REQUIRED: "action",
    CaseStatus.APPROVED: "good",
    CaseStatus.ISSUED: "good",
    CaseStatus.COMPLETED: "good",
    CaseStatus.REJECTED: "bad",
    CaseStatus.DENIED: "bad",
    CaseStatus.WITHDRAWN: "plain",
}


# --- helpers -------------------------------------------------------------------------------


def request_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def matter_or_404(code: str) -> Matter:
    try:
        return catalog_selectors.matter_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc


def own_case_or_404(request: HttpRequest, case_id: int) -> Case:
    """The case if the caller applied for it (or is agent of its enterprise); else 404.

    Staff may see a case through the workbench, but these are the applicant's pages.
    """
    user = request_user(request)
    try:
        case = cases_selectors.case_get_for_user(user=user, case_id=case_id)
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    if is_applicant(user, case):
        return case
    raise Http404(_("未找到该办件"))


def errors_of(exc: DomainError) -> list[FieldError]:
    return list(exc.errors) or [FieldError("", str(exc.detail))]


def material_code(error: FieldError, codes: set[str]) -> str | None:
    """The material an error names (``materials.<code>``, ``file.<code>``, ``files.<code>``)."""
    for prefix in ("materials.", FILE_PREFIX, "files."):
        if error.field.startswith(prefix):
            code = error.field.removeprefix(prefix).split(".", 1)[0]
            return code if code in codes else None
    return None


def material_errors(
    errors: list[FieldError], materials: list[CaseMaterial]
) -> dict[str, list[str]]:
    """The errors of each material, by requirement code, to show under its upload input."""
    codes = {m.requirement_code for m in materials}
    out: dict[str, list[str]] = {}
    for error in errors:
        if (code := material_code(error, codes)) is not None:
            out.setdefault(code, []).append(str(error.message))
    return out


def posted_files(request: HttpRequest, allowed: set[str]) -> dict[str, UploadedFile]:
    files: dict[str, UploadedFile] = {}
    for key in request.FILES:
        code = key.removeprefix(FILE_PREFIX)
        if key.startswith(FILE_PREFIX) and code in allowed:
            upload = request.FILES.get(key)
            if isinstance(upload, UploadedFile):
                files[code] = upload
    return files


def material_rows(
    materials: list[CaseMaterial],
    errors: dict[str, list[str]],
    made: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per material; ``made`` (code → generated/signed) are made at submission."""
    made = made or {}
    rows = []
    for m in materials:
        provision = made.get(m.requirement_code, "")
        needs_upload = m.status in (MaterialStatus.MISSING, MaterialStatus.REJECTED)
        rows.append(
            {
                "material": m,
                "errors": errors.get(m.requirement_code, []),
                "input_name": FILE_PREFIX + m.requirement_code,
                "needs_upload": needs_upload and not provision,
                "sha_short": m.sha256[:12],
                "provision": provision,
                # What the applicant is asked to upload: neither shared nor made for them.
                "asked": not provision and m.origin != MaterialOrigin.SHARING,
            }
        )
    return rows


def deferred_posted(request: HttpRequest, case: Case) -> list[dict[str, str]]:
    """容缺: the non-key materials given a promised date instead of a file on the draft page."""
    return [
        {"requirement": m.requirement_code, "until": until}
        for m in case.materials.filter(status__in=(MaterialStatus.MISSING, MaterialStatus.REJECTED))
        if (until := (request.POST.get(DEFER_PREFIX + m.requirement_code) or "").strip())
    ]


def general_errors(errors: list[FieldError], materials: list[CaseMaterial]) -> list[str]:
    """Errors that belong to no input on the page, shown in the box at the top."""
    codes = {m.requirement_code for m in materials}
    return [
        str(error.message)
        for error in errors
        if not error.field.startswith("form.") and material_code(error, codes) is None
    ]
