"""No template carries what the Content-Security-Policy refuses (the headers: core/tests)."""

from __future__ import annotations

import re
from pathlib import Path


def test_no_template_has_an_inline_script_or_handler() -> None:

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S):
            attributes, body = match.groups()
            if "src=" not in attributes and "application/json" not in attributes and body.strip():
                offenders.append(f"{template.relative_to(root)}: inline <script>")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(root)}: inline event handler")
    assert offenders == []
