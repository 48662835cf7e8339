"""`tongban simulate [--cases N] [--days D] [--seed S] [--until YYYY-MM-DD]`."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone

from tongban.demo.loader import demo_is_loaded
from tongban.demo.simulate.run import SimulateOptions, SimulationResult, simulate_run
from tongban.workflow.calendar import SHANGHAI

MAX_CASES = 1_000_000
MAX_DAYS = 3660


class Command(BaseCommand):
    help = (
        "模拟一个区一年的办件，全部经由真实的业务服务 "
        "(simulate a district year through the real services; needs `tongban demo load`)"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--cases", default="2000", help="申请件数 (applications, default 2000)")
        parser.add_argument("--days", default="365", help="模拟天数 (days, default 365)")
        parser.add_argument("--seed", default="2026", help="随机种子 (seed, default 2026)")
        parser.add_argument(
            "--until",
            default="",
            help="最后一天 YYYY-MM-DD (last day, default today in Asia/Shanghai)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        parsed = options_parse(options)
        if not demo_is_loaded():
            raise CommandError(
                "演示区尚未载入，请先运行 tongban demo load "
                "(the demo district is not loaded: run `tongban demo load` first)"
            )
        self.stdout.write(
            f"模拟 {parsed.cases} 件申请，{parsed.first_day} 至 {parsed.until}，种子 {parsed.seed} "
            f"(simulating {parsed.cases} applications, {parsed.first_day} to {parsed.until}, "
            f"seed {parsed.seed})"
        )
        result = simulate_run(parsed, out=_Stream(self.stdout))
        for line in result_lines(result):
            self.stdout.write(line)


class _Stream:
    """The command's stdout as the progress bar needs it: text written as given, no newline."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str, /) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return bool(self.wrapper.isatty())


def _integer(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise CommandError(f"--{name} 应为整数 (must be a whole number): {value!r}") from None
    if not low <= number <= high:
        raise CommandError(
            f"--{name} 应在 {low} 到 {high} 之间 (must be between {low} and {high}): {number}"
        )
    return number


def options_parse(options: dict[str, Any]) -> SimulateOptions:
    """The checked options; a CommandError names the first bad one."""
    cases = _integer(options["cases"], "cases", 1, MAX_CASES)
    days = _integer(options["days"], "days", 1, MAX_DAYS)
    seed = _integer(options["seed"], "seed", 0, 2**63 - 1)
    raw = str(options.get("until") or "").strip()
    if raw:
        try:
            until = dt.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(
                f"--until 应为日期 YYYY-MM-DD (must be a date YYYY-MM-DD): {raw!r}"
            ) from None
        if len(raw) != 10:
            raise CommandError(f"--until 应为日期 YYYY-MM-DD (must be a date YYYY-MM-DD): {raw!r}")
    else:
        until = timezone.now().astimezone(SHANGHAI).date()
    if until.year < 2004:
        raise CommandError(f"--until 早于工作日历的数据 (before the working-day calendar): {until}")
    return SimulateOptions(cases=cases, days=days, seed=seed, until=until)


def result_lines(result: SimulationResult) -> list[str]:
    """The summary the command prints: rate, then counts by status, channel and matter."""
    lines = [
        f"完成 (done): {result.applications} 件申请 (applications) in {result.seconds:.1f}s, "
        f"{result.rate:.1f} 件/秒 (applications/s)",
        f"时段 (period): {result.first_day} – {result.until}",
        "按状态 (by status):",
        *(f"  {k}: {v}" for k, v in sorted(result.by_status.items())),
        "按渠道 (by channel):",
        *(f"  {k}: {v}" for k, v in sorted(result.by_channel.items())),
        "按事项/主题 (by matter or theme):",
        *(f"  {k}: {v}" for k, v in result.by_target.most_common()),
        "其他 (other figures):",
        *(f"  {k}: {v}" for k, v in result.figures.items()),
    ]
    if result.errors:
        lines.append("被业务规则拒绝的步骤 (steps the services refused):")
        lines.extend(f"  {v} × {k}" for k, v in result.errors.most_common())
    return lines
