"""Steps shared by the portal's browser tests."""

from __future__ import annotations

import re
from typing import Any

#: The check-your-answers page of a draft (检查您的答案), with or without its query.
CHECK_URL = re.compile(r"/my/cases/\d+/check/")


def submit_through_check(page: Any) -> None:
    """From the draft page: save, go to 检查您的答案, and submit there (the only submit button)."""
    page.get_by_role("button", name="继续：检查您的答案").click()
    page.wait_for_url(CHECK_URL)
    page.get_by_role("button", name="提交申请").click()
