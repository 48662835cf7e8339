"""Files and cases for the cases tests, built through the services (never by hand)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.cases import services
from tongban.cases.choices import TaskState
from tongban.cases.models import Case, Task
from tongban.cases.tests.conftest import VALID_FORM
from tongban.identity.models import User

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf_file(name: str = "申请表.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def ofd_bytes(*, with_root: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml" if with_root else "Doc_0/Document.xml", "<ofd:OFD/>")
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>") if with_root else None
    return buffer.getvalue()


def case_draft(*, applicant: User, matter_code: str = "drainage-permit", **kwargs: Any) -> Case:
    return services.case_create(
        actor=applicant,
        matter_code=matter_code,
        form=kwargs.pop("form", dict(VALID_FORM)),
        **kwargs,
    )


def case_submitted(*, applicant: User, matter_code: str = "drainage-permit") -> Case:
    case = case_draft(applicant=applicant, matter_code=matter_code)
    for code in ("application-form", "pipe-network-map"):
        services.material_upload(actor=applicant, case=case, requirement_code=code, file=pdf_file())
    return services.case_submit(actor=applicant, case=case)


def open_task(case: Case, kind: str) -> Task:
    return Task.objects.get(case=case, kind=kind, state=TaskState.OPEN)
