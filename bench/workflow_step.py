#!/usr/bin/env python3
"""Process engine benchmark: one workflow step through tongban.workflow.engine vs raw SpiffWorkflow.

    python bench/workflow_step.py                      (temporary SQLite database)
    python bench/workflow_step.py --database-url postgres://user:pw@127.0.0.1/bench

Sets Django up on its own database (a temporary SQLite file unless --database-url is
given — that database receives the bench's instances), migrates, then measures N times:

- engine: a fresh standard_approval instance waiting at ``accept`` is loaded from the
  database and ``process_complete_task`` completes ``accept`` (restore from the stored
  state on the cached spec, complete, run engine steps, UPDATE … WHERE version=…);
- raw: SpiffWorkflow alone, in memory: a workflow deserialized from the same serialized
  dict (spec included, as SpiffWorkflow stores it), complete ``accept``, run engine steps,
  serialize to a dict.

Prints median and p95 milliseconds of both and their ratio. Targets: median at most 8 ms
and at most 2x raw SpiffWorkflow. ``--profile`` prints the top of a cProfile of the engine.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEDIAN_TARGET_MS = 8.0
RATIO_TARGET = 2.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_ENV", "development")
    os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every SQL query in memory
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", "-n", type=int, default=300)
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--profile", action="store_true", help="cProfile the engine loop")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        os.environ.setdefault("TONGBAN_VAR_DIR", tmp)
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        _setup_django(database_url)
        return _run(args.iterations, args.profile, database_url)


def _run(iterations: int, profile: bool, database_url: str) -> int:
    from django.db import connection
    from django.utils import timezone
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    from tongban.workflow import engine
    from tongban.workflow.models import ProcessInstance

    data = {"acceptance_deadline": (timezone.now() + timedelta(days=7)).isoformat()}
    decision = {"decision": "accept", "comment": "材料齐全，予以受理"}

    # --- engine: restore + complete + persist -------------------------------------------
    # Warm up: the definition row, the spec cache, imports.
    warm = engine.process_start(name="standard_approval", data=data)
    engine.process_complete_task(instance=warm.instance, task_id=warm.ready[0].id, data=decision)

    # Raw SpiffWorkflow starts from the same workflow, serialized whole (spec included).
    serializer = BpmnWorkflowSerializer()
    sample = engine.process_start(name="standard_approval", data=data)
    dumped = serializer.to_dict(engine.workflow_restore(sample.instance))

    # The two are measured alternately, so that load from other processes on the machine
    # hits both alike and the ratio stays meaningful.
    engine_ms: list[float] = []
    raw_ms: list[float] = []
    profiler = cProfile.Profile() if profile else None
    for _ in range(iterations):
        # --- engine: restore + complete + persist ---
        started = engine.process_start(name="standard_approval", data=data)
        instance = ProcessInstance.objects.get(pk=started.instance.pk)  # as a request would
        task_id = started.ready[0].id
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        step = engine.process_complete_task(instance=instance, task_id=task_id, data=decision)
        engine_ms.append((time.perf_counter() - t0) * 1000)
        if profiler:
            profiler.disable()
        assert [t.name for t in step.ready] == ["review"], step.ready

        # --- raw SpiffWorkflow, in memory ---
        dct = copy.deepcopy(dumped)  # from_dict consumes its input
        t0 = time.perf_counter()
        workflow = serializer.from_dict(dct)
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(decision)
        task.run()
        workflow.do_engine_steps()
        serializer.to_dict(workflow)
        raw_ms.append((time.perf_counter() - t0) * 1000)
        assert workflow.get_next_task(state=TaskState.READY, manual=True).task_spec.name == "review"

    engine_median, engine_p95 = statistics.median(engine_ms), _percentile(engine_ms, 0.95)
    raw_median, raw_p95 = statistics.median(raw_ms), _percentile(raw_ms, 0.95)
    ratio = engine_median / raw_median
    vendor = connection.vendor
    print(f"workflow step benchmark: {iterations} iterations, database {vendor}")
    print(f"{'':36} {'median ms':>10} {'p95 ms':>10}")
    print(f"{'engine (restore+complete+persist)':36} {engine_median:10.2f} {engine_p95:10.2f}")
    print(f"{'raw SpiffWorkflow (in memory)':36} {raw_median:10.2f} {raw_p95:10.2f}")
    print(f"ratio engine/raw (median): {ratio:.2f}x")
    ok = engine_median <= MEDIAN_TARGET_MS and ratio <= RATIO_TARGET
    print(
        f"targets: median <= {MEDIAN_TARGET_MS:g} ms and ratio <= {RATIO_TARGET:g}x: "
        + ("met" if ok else "NOT met")
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    if database_url.startswith("sqlite"):
        connection.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
