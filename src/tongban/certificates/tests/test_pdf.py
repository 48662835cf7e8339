from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfbase import pdfmetrics

from tongban.certificates.models import Certificate
from tongban.certificates.pdf import certificate_pdf

pytestmark = pytest.mark.django_db

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _require(path: Path, why: str) -> None:
    if path.exists():
        return
    if os.environ.get("TONGBAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TONGBAN_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


def _text(pdf: bytes, tmp_path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    _require(Path(pdftotext or "/usr/bin/pdftotext"), "pdftotext missing (Debian poppler-utils)")
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        [pdftotext or "pdftotext", "-enc", "UTF-8", str(source), "-"],
        check=True,
        capture_output=True,
    )
    return result.stdout.decode("utf-8")


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    return subprocess.run(  # noqa: S603
        ["pdffonts", str(source)],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout.decode()


def _assert_chinese(text: str, certificate: Certificate) -> None:
    squeezed = "".join(text.split())
    assert "食品经营许可证" in squeezed
    assert "上海通办示范科技有限公司" in squeezed
    assert certificate.number in squeezed
    assert "市场监管局" in squeezed
    assert certificate.key_id in squeezed


def test_the_pdf_text_extracts_in_chinese_with_the_builtin_font(
    certificate: Certificate, tmp_path: Path
) -> None:
    pdf = certificate_pdf(certificate=certificate)
    assert pdf.startswith(b"%PDF")
    _assert_chinese(_text(pdf, tmp_path), certificate)
    assert "STSong-Light" in _fonts(pdf, tmp_path)


def test_the_pdf_embeds_the_configured_cjk_font(
    certificate: Certificate, tmp_path: Path, settings: Any
) -> None:
    _require(NOTO_CJK, f"{NOTO_CJK} missing (Debian fonts-noto-cjk)")
    settings.TONGBAN_CERT_FONT = str(NOTO_CJK)
    before = set(pdfmetrics.getRegisteredFontNames())
    pdf = certificate_pdf(certificate=certificate)
    _assert_chinese(_text(pdf, tmp_path), certificate)
    fonts = _fonts(pdf, tmp_path)
    assert "STSong-Light" not in fonts
    embedded = [line for line in fonts.splitlines() if "TongbanCert" in line]
    assert embedded and " yes " in embedded[0]
    # The one-document font is dropped again, so the registry does not grow per PDF.
    assert set(pdfmetrics.getRegisteredFontNames()) == before


def test_two_pdfs_with_the_embedded_font_each_carry_their_own_glyphs(
    certificate: Certificate, tmp_path: Path, settings: Any, approver: Any
) -> None:
    _require(NOTO_CJK, f"{NOTO_CJK} missing (Debian fonts-noto-cjk)")
    settings.TONGBAN_CERT_FONT = str(NOTO_CJK)
    from tongban.certificates import services

    certificate_pdf(certificate=certificate)
    other = services.certificate_reissue(
        certificate=certificate, fields={"business_scope": "冷饮鲜榨果汁"}, reason="变更"
    )
    squeezed = "".join(_text(certificate_pdf(certificate=other), tmp_path).split())
    assert "冷饮鲜榨果汁" in squeezed


def test_the_pdf_shows_the_form_titles_as_labels(certificate: Certificate, tmp_path: Path) -> None:
    squeezed = "".join(_text(certificate_pdf(certificate=certificate), tmp_path).split())
    assert "经营范围：热食类食品制售" in squeezed
    assert "有效期至：" in squeezed
