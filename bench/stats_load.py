#!/usr/bin/env python3
"""FAST LOADER for the statistics benchmark: writes case, timeline and rollup rows DIRECTLY.

    DATABASE_URL=postgres://… python bench/stats_load.py --cases 1000000

This is NOT how cases come into Tongban.  Driving a million cases through the services
(`tongban simulate`) would take hours on 2 cores, so this loader generates a district's
history in memory and writes it with PostgreSQL ``COPY``, bypassing every service, the
process engine, the hooks and the receivers:

* ``cases_case``: one row per case of the demo district's matters (needs ``tongban demo load``
  first): submitted over the last two years, channel online 60 % / window 30 % / mobile 10 %,
  2 % not accepted, the rest decided (3 % of them denied) within the limit, 6 % after it,
  3 % extended — except half of the last month's cases, those whose decision would lie in the
  future, and 0.2 % stale ones past their due date (the overdue list), which are still open;
* ``cases_timelineentry``: submitted, accepted and decided entries (and completed) per case;
* ``stats_dailyrollup`` / ``stats_durationhistogram``: the counts these cases would have made
  when their events happened, summed in memory (``stats.rebuild.Totals``) from the same facts.

The rows obey the schema but not every business rule (no materials, tasks, process state,
supplement requests or visits), which is enough for the indicators' queries and for the
"without rollups" comparison that reads the cases table.  Only for benchmarks, only on a
throw-away database; it refuses to run on SQLite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BANNER = (
    "stats_load: FAST LOADER — writes case, timeline and rollup rows directly with COPY "
    "(no services, no hooks); for benchmarks on a throw-away database only"
)


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(model: Any, rows: Iterable[dict[str, Any]], *, chunk: int = 50_000) -> int:
    """COPY ``rows`` (dicts of attribute names) into ``model``'s table; defaults fill the rest."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    written = 0
    buffer = io.StringIO()

    def flush() -> None:
        nonlocal buffer
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
        buffer = io.StringIO()

    pending = 0
    for row in rows:
        values = [row.get(f.attname, defaults[f.attname]) for f in fields]
        buffer.write("\t".join(_copy_value(v) for v in values))
        buffer.write("\n")
        pending += 1
        written += 1
        if pending >= chunk:
            flush()
            pending = 0
    if pending:
        flush()
    return written


def load(
    *, cases: int, seed: int = 2026, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Write ``cases`` generated cases with their timelines and rollups (see the docstring)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tongban.cases.choices import ApplicantType, CaseStatus, TimelineAction
    from tongban.cases.models import Case, TimelineEntry
    from tongban.catalog.models import Matter
    from tongban.identity.models import User
    from tongban.stats.models import CaseKind, DailyRollup, DurationHistogram
    from tongban.stats.rebuild import Totals
    from tongban.stats.rollup import Counts, Dims
    from tongban.workflow.calendar import SHANGHAI, WorkCalendar

    if connection.vendor != "postgresql":
        raise SystemExit("stats_load writes with COPY: PostgreSQL only")
    progress(BANNER)
    rng = random.Random(seed)
    matters: Sequence[Matter] = list(Matter.objects.filter(is_active=True).order_by("code"))
    if not matters:
        raise SystemExit("no matters: run `tongban demo load` first")
    # Popular matters get more cases (a district's proportions, roughly Zipf-like).
    weights = [1 / (i + 1) for i in range(len(matters))]
    applicant = User.objects.get(username="citizen")
    calendar = WorkCalendar()
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=730)
    next_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    totals = Totals(rollups={}, durations={})
    started = time.monotonic()

    @functools.cache
    def working_days_later(day: dt.date, n: int) -> dt.date:
        return calendar.add_working_days(day, n).due_date

    cum_weights = list(itertools.accumulate(weights))

    case_rows: list[dict[str, Any]] = []
    entry_rows: list[dict[str, Any]] = []
    written_cases = written_entries = 0

    def flush() -> None:
        nonlocal written_cases, written_entries, case_rows, entry_rows
        written_cases += copy_rows(Case, case_rows)
        written_entries += copy_rows(TimelineEntry, entry_rows)
        case_rows, entry_rows = [], []

    with transaction.atomic():
        for n in range(cases):
            matter = rng.choices(matters, cum_weights=cum_weights)[0]
            case_id = next_id + n
            channel = rng.choices(("online", "window", "mobile"), (6, 3, 1))[0]
            atype = (
                ApplicantType.ENTERPRISE
                if matter.audience == "enterprise"
                or (matter.audience == "both" and rng.random() < 0.5)
                else ApplicantType.PERSON
            )
            submitted_day = first_day + dt.timedelta(days=rng.randrange(730))
            submitted_at = dt.datetime.combine(
                submitted_day, dt.time(9 + rng.randrange(8), rng.randrange(60)), tzinfo=SHANGHAI
            )
            dims = Dims(
                department_id=matter.department_id,
                section_id=matter.section_id,
                matter_id=matter.pk,
                theme_id=None,
                kind=CaseKind.MATTER,
                channel=channel,
                applicant_type=atype,
            )
            counts = Counts()
            shared = rng.randrange(3)
            counts.add(
                submitted_day, dims, submitted=1, shared_materials=shared, data_lookups=shared
            )
            row: dict[str, Any] = {
                "id": case_id,
                "created_at": submitted_at,
                "updated_at": submitted_at,
                "case_no": f"BENCH{case_id:010d}",
                "matter_id": matter.pk,
                "department_id": matter.department_id,
                "applicant_user_id": applicant.pk,
                "applicant_type": atype,
                "applicant_name": "基准测试申请人",
                "channel": channel,
                "submitted_at": submitted_at,
                "limit_days": min(matter.promised_limit_days, matter.legal_limit_days),
            }
            entries = [(submitted_at, TimelineAction.SUBMITTED)]
            fate = rng.random()
            accepted_day = working_days_later(submitted_day, rng.randrange(2))
            limit = row["limit_days"]
            extension = 5 if rng.random() < 0.03 else 0
            late = rng.random() < 0.06
            days = limit + extension + 1 + rng.randrange(5) if late else rng.randrange(limit + 1)
            decided_day = working_days_later(accepted_day, days)
            # Open: half of the last month's cases, every case whose decision would lie in the
            # future, and a few stale ones past their due date (the overdue list to chase).
            recent = (today - submitted_day).days < 30
            still_open = (recent and rng.random() < 0.5) or decided_day > today or fate > 0.998
            accepted_at = dt.datetime.combine(accepted_day, dt.time(10), tzinfo=SHANGHAI)
            if fate < 0.02:
                row.update(status=CaseStatus.REJECTED, completed_at=accepted_at)
                entries.append((accepted_at, TimelineAction.REJECTED))
                counts.add(accepted_day, dims, rejected=1)
            elif not still_open:
                due = working_days_later(accepted_day, limit + extension)
                decided_at = dt.datetime.combine(decided_day, dt.time(15), tzinfo=SHANGHAI)
                denied = rng.random() < 0.03
                row.update(
                    status=CaseStatus.DENIED if denied else CaseStatus.COMPLETED,
                    accepted_at=accepted_at,
                    decided_at=decided_at,
                    completed_at=decided_at,
                    due_date=due,
                    extension_days=extension,
                    acceptance_due_date=working_days_later(submitted_day, 5),
                )
                entries += [(accepted_at, TimelineAction.ACCEPTED)]
                counts.add(accepted_day, dims, accepted=1)
                action = TimelineAction.DENIED if denied else TimelineAction.APPROVED
                entries.append((decided_at, action))
                counts.add(
                    decided_day,
                    dims,
                    **{"denied" if denied else "approved": 1},
                    decided_overdue=int(decided_day > due),
                    decided_extended=int(extension > 0),
                )
                counts.durations.append((decided_day.replace(day=1), dims, days))
                if not denied:
                    entries.append((decided_at, TimelineAction.COMPLETED))
                    counts.add(
                        decided_day,
                        dims,
                        completed=1,
                        completed_first_pass=int(rng.random() < 0.85),
                        completed_one_visit=int(channel != "window" or rng.random() < 0.9),
                    )
            else:
                due = working_days_later(accepted_day, limit)
                row.update(
                    status=CaseStatus.UNDER_REVIEW,
                    accepted_at=accepted_at,
                    due_date=due,
                    acceptance_due_date=working_days_later(submitted_day, 5),
                )
                entries.append((accepted_at, TimelineAction.ACCEPTED))
                counts.add(accepted_day, dims, accepted=1)
            if channel == "window":
                counts.add(submitted_day, dims, visits=1)
                row["visit_count"] = 1
            case_rows.append(row)
            for at, action in entries:
                entry_rows.append({"case_id": case_id, "at": at, "action": action, "step": ""})
            totals.add(counts)
            if len(case_rows) >= 50_000:
                flush()
                rate = (n + 1) / (time.monotonic() - started)
                progress(f"  {n + 1:,} / {cases:,} cases written ({rate:,.0f}/s)")
        flush()
        progress(
            f"  writing {len(totals.rollups):,} rollup rows and {len(totals.durations):,} buckets"
        )
        if DailyRollup.objects.exists() or DurationHistogram.objects.exists():
            raise SystemExit(
                "stats_load: the rollup tables are not empty; load into a fresh database"
            )
        copy_rows(
            DailyRollup,
            (
                {"day": day, "key": key, **dims.fields(), **counter}
                for (day, key), (dims, counter) in totals.rollups.items()
            ),
        )
        copy_rows(
            DurationHistogram,
            (
                {"month": month, "key": key, "days": days, "cases": n, **dims.histogram_fields()}
                for (month, key, days), (dims, n) in totals.durations.items()
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)",
                [next_id + cases],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    progress(
        f"stats_load: wrote {written_cases:,} cases and {written_entries:,} timeline entries "
        f"DIRECTLY in {time.monotonic() - started:.0f} s"
    )
    return {
        "cases": written_cases,
        "entries": written_entries,
        "rollups": len(totals.rollups),
        "buckets": len(totals.durations),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=BANNER)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    load(cases=args.cases, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
