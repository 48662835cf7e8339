"""Reads of the working-day calendar and of the process definitions (no personal data: no
acting user needed; the API decides who may read them)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.utils.translation import gettext as _

from tongban.core.errors import FieldError, NotFound, ValidationFailed
from tongban.core.prepared import Param, Prepared
from tongban.workflow import engine
from tongban.workflow.calendar import MAX_WORKING_DAYS, Due, Suspension, work_calendar
from tongban.workflow.diagram import Node, diagram_read, document_title, main_path, node_label
from tongban.workflow.models import CalendarYear, ProcessDefinition, ProcessInstance


def calendar_due(*, start: date, days: int, suspended: Sequence[Suspension] = ()) -> Due:
    """The due date of a limit of ``days`` working days for a case accepted on ``start``."""
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise ValidationFailed(
            _("工作日数无效"),
            errors=[
                FieldError("days", _("工作日数必须在0至%(max)s之间") % {"max": MAX_WORKING_DAYS})
            ],
        )
    for first, last in suspended:
        if last < first:
            raise ValidationFailed(
                _("中止期间无效"),
                errors=[FieldError("suspended", _("中止期间的结束日不能早于开始日"))],
            )
    try:
        return work_calendar().add_working_days(start, days, suspended=suspended)
    except ValueError:
        # Only reachable near date.max: the limit cannot be represented.
        raise ValidationFailed(
            _("期限超出可计算范围"),
            errors=[FieldError("from", _("日期过晚，无法计算期限"))],
        ) from None


def calendar_years() -> list[int]:
    """The years whose holiday schedule is entered, ascending."""
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def calendar_missing_years(*, through: date) -> list[int]:
    """Years up to ``through``'s year with no schedule entered (from the first entered year on)."""
    entered = set(calendar_years())
    first = min(entered) if entered else through.year
    return [year for year in range(first, through.year + 1) if year not in entered]


# --- processes and decision tables (the diagram viewer) -----------------------------------------

#: A process name is a file name under processes/ (as the engine checks it), never a path.
_PROCESS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
#: Version numbers beyond this are refused before any query (PostgreSQL's integer range).
MAX_VERSION = 100_000


@dataclass(frozen=True)
class ProcessVersion:
    """One version of a process or decision table, as the viewer shows it."""

    name: str
    #: "bpmn" or "dmn".
    kind: str
    version: int
    digest: str
    published_at: datetime | None
    #: The release file it came from, relative to the package ("processes/…").
    source_file: str
    #: The XML (BPMN or DMN).
    source: str
    #: In use for new cases or past it (a decision table that is only a release file is in use
    #: with no recorded publication time).
    published: bool = True


@dataclass(frozen=True)
class ProcessEntry:
    name: str
    kind: str
    #: The process's (or decision's) name in the file: Chinese.
    title: str
    #: Newest first.
    versions: list[ProcessVersion]

    @property
    def current(self) -> ProcessVersion | None:
        """The version new cases take: the latest published one."""
        return next((v for v in self.versions if v.published), None)


def _file_kinds() -> dict[str, str]:
    """name → kind of every process and decision table in the release's processes/ folder."""
    kinds: dict[str, str] = {}
    for path in sorted(engine.PROCESS_DIR.iterdir()):
        if path.suffix in (".bpmn", ".dmn") and _PROCESS_NAME.match(path.stem):
            kinds.setdefault(path.stem, path.suffix[1:])
    return kinds


def _stored(definition: ProcessDefinition, kind: str) -> ProcessVersion:
    return ProcessVersion(
        name=definition.name,
        kind=str(getattr(definition, "kind", "") or kind),
        version=definition.version,
        digest=definition.digest,
        published_at=definition.published_at,
        source_file=definition.source_file,
        source=definition.source,
        published=definition.published_at is not None,
    )


def _decision_file(name: str) -> ProcessVersion:
    # A decision table that is only a file today: version 1 is the file as released.
    path = engine.PROCESS_DIR / f"{name}.dmn"
    source = path.read_bytes()
    return ProcessVersion(
        name=name,
        kind="dmn",
        version=1,
        digest=hashlib.sha256(source).hexdigest(),
        published_at=None,
        source_file=str(path.relative_to(engine.PROCESS_DIR.parent)),
        source=source.decode(),
    )


def process_catalogue(*, include_unpublished: bool = False) -> list[ProcessEntry]:
    """Every process and decision table with its versions (the one read of the viewer).

    A release file not stored yet is stored now, as the engine would on the next case
    (a file in a release is reviewed code, published when first seen), so its version 1
    exists before any case ran on it. Unpublished versions only for ``include_unpublished``.
    """
    kinds = _file_kinds()
    for name, kind in kinds.items():
        if kind == "bpmn":
            engine.process_definition_get(name)
    rows = ProcessDefinition.objects.defer("spec").order_by("name", "-version")
    if not include_unpublished:
        rows = rows.filter(published_at__isnull=False)
    by_name: dict[str, list[ProcessVersion]] = {}
    for row in rows:
        kind = kinds.get(row.name, "bpmn")
        by_name.setdefault(row.name, []).append(_stored(row, kind))
    for name, kind in kinds.items():
        if kind == "dmn" and name not in by_name:
            by_name[name] = [_decision_file(name)]
    return [
        ProcessEntry(
            name=name,
            kind=versions[0].kind,
            title=document_title(versions[0].source) or name,
            versions=versions,
        )
        for name, versions in sorted(by_name.items())
    ]


def process_version_get(
    *, name: str, version: int, include_unpublished: bool = False
) -> ProcessVersion:
    """One version of a process or decision table; NotFound naming what is missing."""
    if not _PROCESS_NAME.match(name or ""):
        raise NotFound(_("流程“%(name)s”不存在") % {"name": (name or "")[:60]})
    entry = next(
        (e for e in process_catalogue(include_unpublished=include_unpublished) if e.name == name),
        None,
    )
    if entry is None:
        raise NotFound(_("流程“%(name)s”不存在") % {"name": name})
    found = (
        next((v for v in entry.versions if v.version == version), None)
        if 1 <= version <= MAX_VERSION
        else None
    )
    if found is None:
        raise NotFound(
            _("流程“%(name)s”没有第 %(version)s 版") % {"name": name, "version": version}
        )
    return found


@dataclass(frozen=True)
class ProcessStepView:
    """One staff step of a process's usual way (办理流程 in the guide)."""

    #: BPMN id of the user task.
    node: str
    #: Its name in the reader's language.
    label: str
    #: The staff role (lane) that acts: "clerk" | "reviewer" | "approver".
    role: str


@lru_cache(maxsize=32)
def _main_path(digest: str, source: str) -> tuple[Node, ...]:
    return tuple(main_path(diagram_read(source)))


def process_staff_steps(*, name: str) -> list[ProcessStepView]:
    """The staff steps of the version of process ``name`` in force, in order ([] when the
    process is unknown): one for a filing (备案登记), three for a standard approval."""
    try:
        definition = engine.process_definition_get(name)
    except ValidationFailed:
        return []
    source = (
        ProcessDefinition.objects.values_list("source", flat=True).get(pk=definition.pk)
        if "source" not in definition.__dict__
        else definition.source
    )
    return [
        ProcessStepView(node=node.id, label=node_label(node.name, node.id), role=node.lane)
        for node in _main_path(definition.digest, source)
        if node.type == "UserTask" and node.lane and node.lane != "applicant"
    ]


def process_instance_with_digest(*, pk: int) -> ProcessInstance:
    """A process instance with its definition's digest (``with_digest``), for a step to restore.

    Every decision and 补正 makes this read: compiled once (core/prepared.py).
    """
    return _INSTANCE_WITH_DIGEST.get(pk=pk)


_INSTANCE_WITH_DIGEST: Prepared[ProcessInstance] = Prepared(
    lambda: ProcessInstance.objects.with_digest().filter(pk=Param("pk", ProcessInstance._meta.pk))
)
