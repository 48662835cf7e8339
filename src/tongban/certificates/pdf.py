"""The certificate as an A4 PDF in Chinese (ReportLab), with a QR code to the verification page.

With TONGBAN_CERT_FONT set, the named CJK font is embedded (subset to the characters of this
certificate), so the PDF looks the same everywhere.  ReportLab embeds only TrueType outlines
while Debian's Noto CJK fonts carry CFF (PostScript) outlines, so the subset is converted to
TrueType quadratic outlines with fontTools first.  Without a font, the built-in STSong-Light
CID font is referenced (not embedded; every PDF reader ships it).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.utils import timezone
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tongban.certificates.models import Certificate
from tongban.certificates.signing import signature_fingerprint

BUILTIN_FONT = "STSong-Light"
RED = HexColor("#b0101f")
INK = HexColor("#1c2430")
GREY = HexColor("#4a5566")

# A certificate is a legal document in Chinese whatever the reader's locale, so the
# text printed on it is deliberately not translated.

#: Labels of common field names; a matter's form titles take precedence.
FIELD_LABELS = {
    "matter": "事项",
    "company_name": "名称",
    "company_type": "类型",
    "legal_representative": "法定代表人",
    "registered_capital": "注册资本",
    "established_on": "成立日期",
    "address": "住所",
    "business_address": "经营场所",
    "business_scope": "经营范围",
    "main_business_form": "主体业态",
    "food_business_items": "经营项目",
    "food_safety_manager": "食品安全管理人员",
    "licensed_items": "许可项目",
    "project_name": "项目名称",
    "project_address": "项目地址",
}


def verify_url(number: str) -> str:
    """The public verification page of a certificate: what its QR code encodes."""
    return f"{settings.SITE_URL}/verify/{number}/"


def _builtin_font() -> str:
    if BUILTIN_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_FONT))
    return BUILTIN_FONT


def _truetype_subset(path: str, text: str, face_name: str) -> io.BytesIO:
    """The glyphs of ``text`` from ``path`` as a small TrueType font ReportLab can embed."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont as FontToolsFont
    from fontTools.ttLib import newTable

    font = FontToolsFont(path, fontNumber=0, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        glyphs = font.getGlyphSet()
        glyf: Any = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            # CFF contours run counter-clockwise, TrueType ones clockwise.
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        font["loca"] = newTable("loca")
        font["glyf"] = glyf
        del font["CFF "]
        if "VORG" in font:
            del font["VORG"]
        maxp: Any = newTable("maxp")
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxZones",
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
            "maxPoints",
            "maxContours",
            "maxCompositePoints",
            "maxCompositeContours",
            "maxComponentDepth",
            "numGlyphs",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["maxp"] = maxp
        font["head"].indexToLocFormat = 0
        font["head"].glyphDataFormat = 0
        post: Any = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
        font.sfntVersion = "\x00\x01\x00\x00"
    # ReportLab shares one face per PostScript name across all registered fonts: give each
    # subset its own, or a second certificate would borrow the first one's glyphs.
    font["name"].setName(face_name, 6, 3, 1, 0x409)
    font["name"].setName(face_name, 6, 1, 0, 0)
    out = io.BytesIO()
    font.save(out)
    out.seek(0)
    return out


@contextmanager
def _font(text: str) -> Iterator[str]:
    path = str(getattr(settings, "TONGBAN_CERT_FONT", "") or "")
    if not path:
        yield _builtin_font()
        return
    name = f"TongbanCert{uuid.uuid4().hex[:16]}"
    if Path(path).suffix.lower() == ".ttc" or _is_cff(path):
        font = TTFont(name, _truetype_subset(path, text + "0123456789", name))
    else:
        font = TTFont(name, path, subfontIndex=0)
    pdfmetrics.registerFont(font)
    try:
        yield name
    finally:
        # ReportLab has no unregister; drop this one-document font so the registry stays small.
        registry: Any = pdfmetrics
        registry._fonts.pop(name, None)
        registry._dynFaceNames.pop(font.face.name, None)


def _is_cff(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"OTTO"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points (Chinese breaks between any chars)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if pdfmetrics.stringWidth(line + char, font, size) > width and line:
                lines.append(line)
                line = char
            else:
                line += char
        lines.append(line)
    return lines


def _display(value: Any) -> str:
    if isinstance(value, list):
        return "；".join(_display(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_display(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _labels(certificate: Certificate) -> dict[str, str]:
    labels = dict(FIELD_LABELS)
    case = certificate.case
    guide = case.matter_version.guide if case is not None and case.matter_version else None
    schema = guide.get("form_schema") if isinstance(guide, dict) else None
    properties = schema.get("properties") if isinstance(schema, dict) else None
    for key, spec in (properties or {}).items():
        if isinstance(spec, dict) and spec.get("title"):
            labels[key] = str(spec["title"])
    return labels


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares (crisp at any zoom, no image library needed)."""
    code = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in code.matrix]
    border = 2
    count = len(rows) + 2 * border
    cell = size / count
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect(
                    x + (border + start) * cell,
                    y + size - (border + r + 1) * cell,
                    (c - start) * cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
            else:
                c += 1


def _lines(certificate: Certificate) -> list[tuple[str, str]]:
    holder = certificate.payload.get("holder") or {}
    subject_label = "统一社会信用代码" if holder.get("kind") == "enterprise" else "公民身份号码"
    labels = _labels(certificate)
    rows = [("持证主体", certificate.holder_name), (subject_label, certificate.holder_subject)]
    for key, value in (certificate.payload.get("fields") or {}).items():
        rows.append((labels.get(key, key), _display(value)))
    issued = timezone.localtime(certificate.issued_at)
    rows.append(("发证机关", certificate.issuer.name))
    rows.append(("发证日期", f"{issued.year}年{issued.month}月{issued.day}日"))
    until = certificate.valid_until
    rows.append(("有效期至", f"{until.year}年{until.month}月{until.day}日" if until else "长期"))
    return rows


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The certificate as an A4 PDF: title, number, holder, fields, issuer, dates, QR, key id."""
    title = certificate.certificate_type.name
    rows = _lines(certificate)
    url = verify_url(certificate.number)
    fingerprint = signature_fingerprint(certificate.signature)
    footer = [
        "扫码或访问以下地址核验本证照真伪：",
        url,
        f"签名密钥：{certificate.key_id}",
        f"签名指纹：{fingerprint}",
        "本证照由通办平台以 Ed25519 数字签名签发，与纸质证照具有同等效力。",
    ]
    text = "".join(
        [title, "证照编号：", certificate.number, *(a + b + "：" for a, b in rows), *footer]
    )
    buffer = io.BytesIO()
    width, height = A4
    with _font(text) as font:
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(f"{title} {certificate.number}")
        canvas.setAuthor(certificate.issuer.name)
        canvas.setSubject(title)
        # Double red frame, as printed licences have.
        canvas.setStrokeColor(RED)
        canvas.setLineWidth(3)
        canvas.rect(28, 28, width - 56, height - 56)
        canvas.setLineWidth(0.8)
        canvas.rect(36, 36, width - 72, height - 72)

        canvas.setFillColor(RED)
        canvas.setFont(font, 30)
        canvas.drawCentredString(width / 2, height - 110, title)
        canvas.setFillColor(INK)
        canvas.setFont(font, 11)
        canvas.drawRightString(width - 70, height - 140, f"证照编号：{certificate.number}")

        y = height - 185
        label_x, value_x, value_width = 76.0, 196.0, width - 196 - 76
        for label, value in rows:
            canvas.setFont(font, 12)
            canvas.setFillColor(GREY)
            canvas.drawString(label_x, y, f"{label}：")
            canvas.setFillColor(INK)
            for line in _wrap(value, font, 12, value_width):
                canvas.drawString(value_x, y, line)
                y -= 20
            y -= 6
            if y < 230:
                break

        _qr(canvas, url, 70, 60, 120)
        canvas.setFont(font, 9)
        canvas.setFillColor(GREY)
        fy = 160.0
        for line in footer:
            for part in _wrap(line, font, 9, width - 210 - 70):
                canvas.drawString(210, fy, part)
                fy -= 15
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def form_document_pdf(
    *, title: str, number: str, rows: list[tuple[str, str]], footer: list[str], author: str
) -> bytes:
    """A document generated from an application's data (申请书, 承诺书) as an A4 PDF.

    Made by the platform from what the applicant filled in or signed, so it is never asked
    as an upload; the rows flow over as many pages as they need.
    """
    text = "".join([title, number, *(a + b + "：" for a, b in rows), *footer])
    buffer = io.BytesIO()
    width, height = A4
    label_x, value_x, value_width = 60.0, 200.0, width - 200 - 60
    with _font(text) as font:
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(f"{title} {number}")
        canvas.setAuthor(author)
        canvas.setSubject(title)
        canvas.setFillColor(INK)
        canvas.setFont(font, 20)
        canvas.drawCentredString(width / 2, height - 80, title)
        canvas.setFont(font, 10)
        canvas.setFillColor(GREY)
        canvas.drawRightString(width - 60, height - 105, number)
        y = height - 140
        for label, value in rows:
            lines = _wrap(value, font, 11, value_width) or [""]
            if y - 18 * len(lines) < 110:
                canvas.showPage()
                y = height - 70
            canvas.setFont(font, 11)
            canvas.setFillColor(GREY)
            for i, part in enumerate(_wrap(f"{label}：", font, 11, value_x - label_x - 8)):
                canvas.drawString(label_x, y - 18 * i, part)
            canvas.setFillColor(INK)
            for line in lines:
                canvas.drawString(value_x, y, line)
                y -= 18
            y -= 6
        canvas.setFont(font, 9)
        canvas.setFillColor(GREY)
        fy = 90.0
        for line in footer:
            for part in _wrap(line, font, 9, width - 120):
                canvas.drawString(60, fy, part)
                fy -= 13
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
