"""Storing, publishing and reading versions (no permissions here: the caller decides who).

The four-eyes rule, the vocabulary and the audit of who did what are in
``tongban.cases.services.studio``; these are the storage steps it takes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from tongban.core.errors import Conflict, FieldError, InvalidStateChange, NotFound
from tongban.workflow import engine
from tongban.workflow.choices import DefinitionKind, DefinitionStatus
from tongban.workflow.models import ProcessDefinition


def definition_names() -> dict[str, str]:
    """Every process and decision table of the release: name → kind."""
    names = {p.stem: DefinitionKind.BPMN.value for p in engine.PROCESS_DIR.glob("*.bpmn")}
    names.update({p.stem: DefinitionKind.DMN.value for p in engine.PROCESS_DIR.glob("*.dmn")})
    return dict(sorted(names.items()))


def definition_kind(name: str) -> str:
    """The kind of process ``name``; NotFound for a name the release does not have."""
    kind = definition_names().get(name)
    if kind is None:
        raise NotFound(_("没有名为“%(name)s”的流程或决策表") % {"name": name})
    return kind


def definition_current(name: str) -> ProcessDefinition:
    """The published version of ``name`` in force (the release file stored first if new)."""
    if definition_kind(name) == DefinitionKind.DMN:
        head = engine.decision_definition_get(name)
    else:
        head = engine.process_definition_get(name)
    return ProcessDefinition.objects.get(pk=head.pk)


def definition_version(name: str, version: int) -> ProcessDefinition:
    """Version ``version`` of ``name``."""
    definition_kind(name)
    # Checked before the query: PostgreSQL refuses an integer out of its range.
    found = (
        ProcessDefinition.objects.filter(name=name, version=version).first()
        if 0 < version < 2**31
        else None
    )
    if found is None:
        raise NotFound(_("“%(name)s”没有第%(version)s版") % {"name": name, "version": version})
    return found


def definition_history(name: str) -> QuerySet[ProcessDefinition]:
    """Every version of ``name``, newest first, with who uploaded and reviewed it."""
    return (
        ProcessDefinition.objects.filter(name=name)
        .select_related("uploaded_by", "reviewed_by", "based_on")
        .defer("spec")
        .order_by("-version")
    )


@transaction.atomic
def definition_candidate_store(
    *,
    name: str,
    kind: str,
    source: bytes,
    spec: dict[str, Any],
    note: str,
    uploaded_by: Any,
    based_on: ProcessDefinition,
    validation_report: dict[str, Any],
    dry_run_report: dict[str, Any],
) -> ProcessDefinition:
    """Store a validated candidate as the next version of ``name`` (not published)."""
    digest = hashlib.sha256(source).hexdigest()
    same = ProcessDefinition.objects.filter(digest=digest).only("name", "version").first()
    if same is not None:
        raise Conflict(
            _("内容与“%(name)s”第%(version)s版完全相同，无需上传")
            % {"name": same.name, "version": same.version},
            errors=[FieldError("source", _("内容未改变"))],
        )
    last = ProcessDefinition.objects.filter(name=name).order_by("-version").first()
    try:
        with transaction.atomic():
            return ProcessDefinition.objects.create(
                name=name,
                kind=kind,
                status=DefinitionStatus.VALIDATED,
                digest=digest,
                source=source.decode(),
                spec=spec,
                version=(last.version + 1) if last else 1,
                note=note,
                uploaded_by=uploaded_by,
                based_on=based_on,
                validation_report=validation_report,
                dry_run_report=dry_run_report,
            )
    except IntegrityError:
        # Someone stored a version of this name (or this very content) at the same moment.
        raise Conflict(_("同时有其他版本上传，请刷新后重试")) from None


def _candidate_locked(definition: ProcessDefinition) -> ProcessDefinition:
    locked = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    if locked.status != DefinitionStatus.VALIDATED:
        raise InvalidStateChange(
            _("第%(version)s版的状态是“%(status)s”，不能再审批")
            % {"version": locked.version, "status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def definition_publish(
    *, definition: ProcessDefinition, reviewed_by: Any, comment: str
) -> ProcessDefinition:
    """Publish a validated candidate: new cases of its name start on it from now on."""
    locked = _candidate_locked(definition)
    current = definition_current(locked.name)
    if locked.based_on_id != current.pk:
        raise Conflict(
            _(
                "第%(version)s版是在第%(based)s版的基础上校验和试运行的，而现在生效的是"
                "第%(current)s版；请在当前版本的基础上重新上传"
            )
            % {
                "version": locked.version,
                "based": locked.based_on.version if locked.based_on else "-",
                "current": current.version,
            }
        )
    now = timezone.now()
    locked.status = DefinitionStatus.PUBLISHED
    locked.published_at = now
    locked.reviewed_by = reviewed_by
    locked.reviewed_at = now
    locked.review_comment = comment
    locked.save(
        update_fields=["status", "published_at", "reviewed_by", "reviewed_at", "review_comment"]
    )
    return locked


@transaction.atomic
def definition_reject(
    *, definition: ProcessDefinition, reviewed_by: Any, comment: str
) -> ProcessDefinition:
    """Reject a validated candidate for good: it can never be published."""
    locked = _candidate_locked(definition)
    locked.status = DefinitionStatus.REJECTED
    locked.reviewed_by = reviewed_by
    locked.reviewed_at = timezone.now()
    locked.review_comment = comment
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    return locked


def studio_overview() -> list[dict[str, Any]]:
    """Every process and decision table with its versions (newest first), for the studio."""
    by_name: dict[str, list[ProcessDefinition]] = {}
    rows = (
        ProcessDefinition.objects.select_related("uploaded_by", "reviewed_by")
        .defer("spec", "source", "validation_report", "dry_run_report")
        .order_by("name", "-version")
    )
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    overview = []
    for name, kind in definition_names().items():
        rows_of_name = by_name.get(name, [])
        current = next((r for r in rows_of_name if r.status == DefinitionStatus.PUBLISHED), None)
        overview.append(
            {
                "name": name,
                "kind": kind,
                "current": current,
                "versions": rows_of_name,
                "waiting": sum(1 for r in rows_of_name if r.status == DefinitionStatus.VALIDATED),
            }
        )
    return overview


def node_names(source: str) -> dict[str, str]:
    """BPMN id → name of every element with both in ``source`` (labels for the reports)."""
    if not source:
        return {}
    try:
        root = etree.fromstring(source.encode(), engine.xml_parser())
    except etree.XMLSyntaxError:
        return {}
    return {
        str(e.get("id")): str(e.get("name") or e.get("label"))
        for e in root.iter()
        if isinstance(e.tag, str) and e.get("id") and (e.get("name") or e.get("label"))
    }
