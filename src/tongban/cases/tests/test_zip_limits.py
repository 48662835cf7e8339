"""Zip-based uploads (OFD materials, XLSX imports) limited in entries, expanded size and ratio."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.models import Case
from tongban.cases.tests.factories import case_draft, ofd_bytes
from tongban.catalog.models import Matter
from tongban.core.errors import ValidationFailed
from tongban.core.zipguard import ZipLimitExceeded, ZipLimits, zip_limits_check
from tongban.credit.models import CreditRecord
from tongban.credit.services import credit_import_xlsx
from tongban.identity.models import User

Headers = Callable[[User], dict[str, str]]
MiB = 1024 * 1024
GiB = 1024 * MiB


def _zeros_deflated(mebibytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mebibytes`` MiB of zeros, and its CRC-32, built in a blink.

    Each MiB is compressed after a full flush, so every block is the same bytes: the
    stream is one block repeated, a valid deflate stream that really expands that far.
    """
    chunk = bytes(MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    return block * mebibytes + tail, crc


def _zip(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip (ZIP64 end records when over 65,535 entries) of (name, method, data, crc, size)."""
    local = io.BytesIO()
    central = io.BytesIO()
    for name, method, data, crc, size in entries:
        raw = name.encode()
        offset = local.tell()
        local.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(raw),
                0,
            )
        )
        local.write(raw)
        local.write(data)
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        central.write(raw)
    cd_offset = local.tell()
    cd = central.getvalue()
    count = len(entries)
    out = local.getvalue() + cd
    if count > 0xFFFF:
        zip64_at = len(out)
        out += struct.pack(
            "<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(cd), cd_offset
        )
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, zip64_at, 1)
        count = 0xFFFF
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(cd), cd_offset, 0)
    return out


def _ofd_root() -> tuple[str, int, bytes, int, int]:
    xml = b"<ofd:OFD/>"
    return ("OFD.xml", 0, xml, zlib.crc32(xml), len(xml))


def _gib_bomb() -> bytes:
    data, crc = _zeros_deflated(1024)
    return _zip([_ofd_root(), ("Doc_0/Res/bomb.bin", 8, data, crc, GiB)])


def _many_entries() -> bytes:
    return _zip([_ofd_root()] + [(f"e/{i}", 0, b"", 0, 0) for i in range(120_000)])


def test_the_crafted_archives_are_real_zips() -> None:
    bomb = _gib_bomb()
    assert len(bomb) < 2 * MiB
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        info = archive.getinfo("Doc_0/Res/bomb.bin")
        assert info.file_size == GiB
        with archive.open(info) as member:  # it really expands: the first MiB are zeros
            assert member.read(MiB) == bytes(MiB)
    many = _many_entries()
    assert len(many) < 12 * MiB
    with zipfile.ZipFile(io.BytesIO(many)) as archive:
        assert len(archive.infolist()) == 120_001


def _upload(client: Client, headers: dict[str, str], case: Case, content: bytes) -> dict:
    response = client.post(
        f"/api/v1/applications/{case.pk}/materials",
        {"requirement": "application-form", "file": SimpleUploadedFile("x.ofd", content)},
        **headers,
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def _messages(problem: dict) -> str:
    return " ".join(e["message"] for e in problem["errors"])


@pytest.mark.parametrize(
    ("build", "named"),
    [(_gib_bomb, "200 MB"), (_many_entries, "2000")],
    ids=["1GiB-expanding", "120000-entries"],
)
def test_a_zip_bomb_ofd_is_refused_naming_the_limit(
    build: Callable[[], bytes],
    named: str,
    api_client: Client,
    bearer: Headers,
    applicant: User,
    drainage: Matter,
) -> None:
    case = case_draft(applicant=applicant)
    problem = _upload(api_client, bearer(applicant), case, build())
    assert named in _messages(problem)
    material = case.materials.get(requirement_code="application-form")
    assert not material.file and not material.sha256


def test_a_highly_compressed_member_is_refused_by_ratio() -> None:
    data, crc = _zeros_deflated(10)
    archive = _zip([_ofd_root(), ("Doc_0/big.bin", 8, data, crc, 10 * MiB)])
    limits = ZipLimits(max_entries=2000, max_expanded=200 * MiB, max_ratio=100)
    with pytest.raises(ZipLimitExceeded, match="100:1"):
        zip_limits_check(io.BytesIO(archive), limits)


def test_a_normal_ofd_passes_and_the_position_is_kept() -> None:
    stream = io.BytesIO(ofd_bytes())
    stream.seek(3)
    zip_limits_check(stream)
    assert stream.tell() == 3


def test_an_xlsx_import_bomb_is_refused_before_openpyxl(db: None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        credit_import_xlsx(actor=None, file=_small_many())
    assert "2000" in refused.value.errors[0].message
    assert CreditRecord.objects.count() == 0


def _small_many() -> bytes:
    # An XLSX import is capped at 5 MB: 3,000 empty entries already pass the entry limit.
    return _zip([(f"xl/{i}.xml", 0, b"", 0, 0) for i in range(3000)])
