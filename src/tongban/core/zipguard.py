"""Limits for zip-based uploads (OFD, XLSX): entries, expanded size and ratio (zip bombs).

The limits are checked from the end-of-central-directory record (the entry count, before
Python builds one object per entry) and from the central directory (declared sizes), before
anything is extracted.  While reading, Python's ``zipfile`` never returns more than an entry's
declared ``file_size`` (and checks its CRC), so the declared sizes bound what reading expands.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_COMMENT_MAX = 0xFFFF


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int
    max_expanded: int
    max_ratio: int


class ZipLimitExceeded(ValueError):
    """The archive exceeds a limit; ``str(exc)`` is a user-facing message naming it."""


def zip_limits_default() -> ZipLimits:
    return ZipLimits(
        max_entries=int(settings.ZIP_MAX_ENTRIES),
        max_expanded=int(settings.ZIP_MAX_EXPANDED_BYTES),
        max_ratio=int(settings.ZIP_MAX_RATIO),
    )


def _entries_declared(stream: IO[bytes]) -> int | None:
    """The entry count of the end-of-central-directory record, or None if there is none."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_len = min(size, _EOCD_SIZE + _COMMENT_MAX)
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    (_disk, _cd_disk, _here, total, _cd_size, _cd_offset, _comment) = struct.unpack(
        "<HHHHIIH", tail[at + 4 : at + _EOCD_SIZE]
    )
    return int(total)


def zip_limits_check(stream: IO[bytes], limits: ZipLimits | None = None) -> None:
    """Refuse an archive over the limits with ZipLimitExceeded; the position is kept.

    Not a zip at all is not this function's business (the caller's parser refuses it).
    """
    limits = limits or zip_limits_default()
    start = stream.tell()
    try:
        declared = _entries_declared(stream)
        # 0xFFFF means "see the ZIP64 record": more entries than any limit allows here.
        if declared is not None and declared > limits.max_entries:
            raise ZipLimitExceeded(_entries_message(limits))
        stream.seek(start)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return
        with archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise ZipLimitExceeded(_entries_message(limits))
            expanded = 0
            packed = 0
            for info in infos:
                expanded += info.file_size
                packed += info.compress_size
                if expanded > limits.max_expanded:
                    raise ZipLimitExceeded(
                        _("压缩包解压后超过 %(mb)s MB 的上限")
                        % {"mb": f"{limits.max_expanded / (1024 * 1024):g}"}
                    )
                if info.file_size > limits.max_ratio * max(info.compress_size, 1) and (
                    info.file_size > 1024 * 1024
                ):
                    raise ZipLimitExceeded(_ratio_message(limits))
            if expanded > 1024 * 1024 and expanded > limits.max_ratio * max(packed, 1):
                raise ZipLimitExceeded(_ratio_message(limits))
    finally:
        stream.seek(start)


def _entries_message(limits: ZipLimits) -> str:
    return _("压缩包条目超过 %(n)d 个的上限") % {"n": limits.max_entries}


def _ratio_message(limits: ZipLimits) -> str:
    return _("压缩包的压缩比超过 %(n)d:1 的上限") % {"n": limits.max_ratio}
