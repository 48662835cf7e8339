"""Material files: the type is recognised from the content, never from the client's name.

Only the four formats an e-government archive accepts are allowed: PDF, JPEG,
PNG and OFD (GB/T 33190, a ZIP whose root holds ``OFD.xml``).  Anything else,
an empty file or one over ``settings.MATERIAL_MAX_BYTES`` is refused.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tongban.cases.choices import MaterialOrigin, MaterialStatus, SupplementState
from tongban.cases.models import Case, CaseMaterial, SupplementRequest
from tongban.cases.services.common import MATERIAL_SAVE
from tongban.core.errors import FieldError, ValidationFailed
from tongban.core.prepared import Param, Prepared
from tongban.core.zipguard import ZipLimitExceeded, zip_limits_check

#: Content types accepted for materials, with the names shown in refusals.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/ofd": "OFD",
}
ORIGINAL_NAME_MAX = 200
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str
    original_name: str


def content_type_sniff(stream: IO[bytes]) -> str | None:
    """The allowed content type the bytes of ``stream`` are, or None; the position is kept."""
    start = stream.tell()
    try:
        head = stream.read(8)
        if head.startswith(b"%PDF-"):
            return "application/pdf"
        if head.startswith(b"\xff\xd8\xff"):
            return "image/jpeg"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "image/png"
        if head.startswith(b"PK\x03\x04"):
            stream.seek(start)
            return "application/ofd" if _is_ofd(stream) else None
        return None
    finally:
        stream.seek(start)


def _is_ofd(stream: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            return any(name.lower() == "ofd.xml" for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def original_name_clean(name: str | None) -> str:
    """The client's file name for display: no directories, no control characters, capped."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if len(base) > ORIGINAL_NAME_MAX:
        stem, ext = os.path.splitext(base)
        ext = ext[:20]
        base = stem[: ORIGINAL_NAME_MAX - len(ext)] + ext
    return base


def material_file_check(*, file: UploadedFile, field: str = "file") -> CheckedFile:
    """Size, type by content and SHA-256 of an upload; refuse what is not an allowed material."""
    limit = int(settings.MATERIAL_MAX_BYTES)
    declared = file.size
    if declared is not None and declared > limit:
        raise _refused(field, _too_big(limit))
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _refused(field, _too_big(limit))
        digest.update(chunk)
    if size == 0:
        raise _refused(field, _("文件为空"))
    file.seek(0)
    try:
        # OFD is a zip: refuse a zip bomb from its central directory before anything reads it.
        if file.read(4) == b"PK\x03\x04":
            file.seek(0)
            zip_limits_check(file)
    except ZipLimitExceeded as exc:
        raise _refused(field, str(exc)) from exc
    file.seek(0)
    content_type = content_type_sniff(file)
    if content_type is None:
        raise _refused(
            field,
            _("文件内容不是允许的格式（%(types)s）") % {"types": "、".join(ALLOWED_TYPES.values())},
        )
    file.seek(0)
    return CheckedFile(
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        original_name=original_name_clean(file.name),
    )


def _too_big(limit: int) -> str:
    return _("文件超过大小上限（%(mb)s MB）") % {"mb": f"{limit / (1024 * 1024):g}"}


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        _("材料文件不符合要求"), errors=[FieldError(field=field, message=message)]
    )


# --- a case's materials ----------------------------------------------------------------------


def material_store(
    material: CaseMaterial,
    file: UploadedFile,
    checked: CheckedFile,
    now: datetime,
    origin: str = MaterialOrigin.UPLOAD,
) -> CaseMaterial:
    """Store a checked upload on its material row; the replaced file is released after commit."""
    old_name = material.file.name if material.file else ""
    material.content_type = checked.content_type
    material.size = checked.size
    material.sha256 = checked.sha256
    material.original_name = checked.original_name
    material.status = MaterialStatus.PROVIDED
    material.origin = origin
    material.uploaded_at = now
    material.review_note = ""
    # The name passed here is ignored by material_upload_to: only a random name is used.
    material.file.save(checked.original_name or "material", file, save=False)
    MATERIAL_SAVE.save(material)
    if old_name:
        transaction.on_commit(lambda: stored_file_release(old_name))
    return material


def stored_file_release(name: str) -> None:
    # A theme's materials share one stored file between the parent and its children.
    """Delete a stored file once no material row points at it (themes share files)."""
    if not CaseMaterial.objects.filter(file=name).exists():
        default_storage.delete(name)


def material_for(case: Case, requirement_code: str, field: str = "requirement") -> CaseMaterial:
    """The case's material row for ``requirement_code``, locked; a field error if none."""
    material = _MATERIAL_LOCKED.first(case=case.pk, code=requirement_code)
    if material is None:
        raise ValidationFailed(
            _("材料编码不存在"),
            errors=[
                FieldError(
                    field=field,
                    message=_("本事项没有编码为“%(code)s”的材料") % {"code": requirement_code},
                )
            ],
        )
    return material


def supplement_open(case: Case) -> SupplementRequest | None:
    """The case's open supplement request, locked, if any."""
    return (
        SupplementRequest.objects.select_for_update()
        .filter(case=case, state=SupplementState.OPEN)
        .first()
    )


def supplement_requested_codes(request: SupplementRequest, kind: str) -> list[str]:
    """The codes of the materials (or form fields) an open supplement request asks for."""
    return [
        str(item.get("code"))
        for item in request.items or []
        if isinstance(item, dict) and item.get("kind") == kind
    ]


#: Every upload locks its material row: compiled once (core/prepared.py).
_MATERIAL_LOCKED: Prepared[CaseMaterial] = Prepared(
    lambda: (
        CaseMaterial.objects.select_for_update()
        .filter(case_id=Param("case", Case._meta.pk), requirement_code=Param("code"))
        .order_by("pk")[:1]
    )
)
