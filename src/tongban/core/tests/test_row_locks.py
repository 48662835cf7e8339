"""PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (SQLite ignores it)."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
UNSCOPED_LOCK_WITH_JOIN = re.compile(r"select_for_update\(\)\s*\.select_related\(")


def test_every_row_lock_with_a_join_names_its_own_table():
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "tests" not in path.parts
        and UNSCOPED_LOCK_WITH_JOIN.search(path.read_text(encoding="utf-8"))
    ]
    # Write select_for_update(of=("self",)) when the query also select_related()s.
    assert offenders == []
