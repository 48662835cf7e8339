"""Where the cores went during a bench: CPU seconds by group of processes (bench/load.py,
bench/submit.py).

Reads /proc: every live process's user + system time with that of its reaped children (the
postmaster counts the backends that closed, gunicorn's master its old workers), grouped by
what its command line contains; pid 0 holds the machine's idle seconds.
"""

from __future__ import annotations

import collections
import os
from pathlib import Path

#: (group, marks in the command line). The first group that matches takes the process.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("web (gunicorn)", ("gunicorn", " serve ")),
    ("tongban workers", (" worker ",)),
    ("PostgreSQL", ("postgres",)),
    ("sandbox bank", ("payment_gateway",)),
    ("load generator", ("bench/load.py", "bench/submit.py")),
)

Snapshot = dict[int, tuple[str, float]]


def cpu_by_group(groups: tuple[tuple[str, tuple[str, ...]], ...] = GROUPS) -> Snapshot:
    """CPU seconds (user + system) of every live process, with its group, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    cpu_line = Path("/proc/stat").read_text().splitlines()[0].split()
    seen: Snapshot = {0: ("idle", (int(cpu_line[4]) + int(cpu_line[5])) / tick)}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = sum(int(f) for f in fields[11:15]) / tick
        pid = int(entry.name)
        if pid == me:
            group = "load generator"
        else:
            group = next(
                (name for name, marks in groups if any(m in f" {cmdline} " for m in marks)),
                "other",
            )
        seen[pid] = (group, seconds)
    return seen


def spent(before: Snapshot, after: Snapshot) -> tuple[dict[str, float], float]:
    """(CPU seconds by group between the two snapshots, idle seconds of the machine).

    Processes alive at the end count with their reaped children; those started in between
    count whole. Processes that ended in between and were not reaped by one alive are lost.
    """
    by_group: dict[str, float] = collections.Counter()
    for pid, (group, total) in after.items():
        if pid == 0:
            continue
        earlier = before.get(pid)
        by_group[group] += total - (earlier[1] if earlier and earlier[0] == group else 0.0)
    return dict(by_group), after[0][1] - before[0][1]


def print_spent(
    before: Snapshot, after: Snapshot, seconds: float, done: int, *, unit: str = "request"
) -> dict[str, float]:
    """Print where the cores went (a line a group, and ms of CPU per ``unit`` done); give the
    seconds by group."""
    by_group, idle = spent(before, after)
    print("CPU (user + system; live processes and their reaped children):")
    for group, cpu in sorted(by_group.items(), key=lambda item: -item[1]):
        if cpu < 0.05:
            continue
        per = f"{cpu / done * 1000:6.2f} ms a {unit}" if done else ""
        print(f"  {group:<30} {cpu:8.1f} s  {cpu / seconds:5.2f} cores  {per}")
    total = sum(by_group.values())
    per_all = f"{total / done * 1000:6.2f} ms a {unit}" if done else ""
    print(f"  {'all':<30} {total:8.1f} s  {total / seconds:5.2f} cores  {per_all}")
    print(f"  {'idle (whole machine)':<30} {idle:8.1f} s  {idle / seconds:5.2f} cores")
    return by_group
