"""Private files (uploaded materials): only access-checked views serve them, no public URL."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

#: Content types a browser may show inline (same origin); everything else is a download.
INLINE_TYPES = {"application/pdf": "pdf", "image/jpeg": "image", "image/png": "image"}


def private_file_response(
    file: FieldFile, *, content_type: str, filename: str, inline: bool = True
) -> FileResponse:
    """The file with a Content-Disposition, ``nosniff`` and no caching by shared caches.

    The caller has already checked that the user may see the file.
    """
    content_type = content_type or "application/octet-stream"
    response = FileResponse(
        file.open("rb"),
        content_type=content_type,
        as_attachment=not (inline and content_type in INLINE_TYPES),
        filename=filename or (file.name or "").rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # django-csp: the workbench shows a material in a same-origin frame; a PDF is a plugin
    # document, so the file itself may be framed by its own origin and rendered as an object.
    response._csp_replace = {  # type: ignore[attr-defined]
        "frame-ancestors": ["'self'"],
        "object-src": ["'self'"],
    }
    return response
