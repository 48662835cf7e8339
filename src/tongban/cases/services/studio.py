"""The process studio's rules: who may upload and approve a new version, and what cases can run.

The engine-level work (validation, dry run, storage) is in ``tongban.workflow.studio``; it
knows nothing of cases. This module sits in cases because the rules it adds are the cases
app's and the identity app's: which lanes and task ids become Task rows (``process.tasks_sync``
and ``joint_review.task_kind_for``), which variables the cases services put into a process,
which outputs of the credit table ``routes`` reads, and that only center admins (StaffRole)
may change a process — ``workflow`` may import neither cases nor identity. Passing the
vocabulary as a value (rather than a registry filled at start-up) keeps workflow free of
module-level state and makes each rule visible where it is decided.

The four-eyes rule (四眼原则): one center admin uploads, a *different* center admin approves,
and only then is the version published; a refused upload is never stored, a rejected version
can never be published, and every step records who and when.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tongban.cases.choices import OUT_OF_PROCESS_TASK_KINDS, CreditRoute, TaskKind
from tongban.cases.services import joint_review
from tongban.cases.services.process import APPLICANT_LANE, SUPPLEMENT_TASKS
from tongban.cases.services.routes import CREDIT_ROUTE_DECISION, credit_route_context
from tongban.core.errors import FieldError, PermissionDenied, ValidationFailed
from tongban.credit.selectors import CreditStatus
from tongban.identity import selectors as identity_selectors
from tongban.identity.choices import StaffRole
from tongban.identity.models import User
from tongban.workflow.choices import DefinitionKind
from tongban.workflow.models import ProcessDefinition
from tongban.workflow.studio import versions
from tongban.workflow.studio.dry_run import definition_dry_run
from tongban.workflow.studio.validation import Vocabulary, definition_validate

#: The variables the cases services put into a process: at start (matter.case_submit and the
#: matter's process_params), with a decision (decide.task_complete), with a supplement
#: (supplement.case_supplement_answer), and those the release processes' scripts set.
PROCESS_VARIABLES = frozenset(
    {
        "acceptance_deadline",
        "case_no",
        "route",
        "reviewers",
        "lead",
        "review_days",
        "decision",
        "answered",
        "deemed_accepted",
        "department",
    }
)
#: Staff lanes a process task may sit in: a department's roles that handle cases.
PROCESS_ROLES = frozenset({StaffRole.CLERK, StaffRole.REVIEWER, StaffRole.APPROVER})
#: The longest change note kept.
MAX_NOTE_LENGTH = 2000


def _user_task_refusal(lane: str, task_id: str) -> str | None:
    if lane == APPLICANT_LANE:
        if task_id in SUPPLEMENT_TASKS:
            return None
        return _("申请人泳道只能有补正任务（%(tasks)s），“%(task)s”无法办理") % {
            "tasks": "、".join(SUPPLEMENT_TASKS),
            "task": task_id,
        }
    if lane not in PROCESS_ROLES:
        return _("泳道“%(lane)s”不是平台的办件岗位（%(roles)s），没有人能办理此任务") % {
            "lane": lane,
            "roles": "、".join(sorted(PROCESS_ROLES)),
        }
    kind = joint_review.task_kind_for(task_id)
    if kind not in TaskKind.values or kind in OUT_OF_PROCESS_TASK_KINDS:
        return _("任务标识“%(task)s”不对应平台的待办类型（%(kinds)s）") % {
            "task": task_id,
            "kinds": "、".join(
                sorted(
                    {"department_review"}
                    | {
                        k
                        for k in TaskKind.values
                        if k not in OUT_OF_PROCESS_TASK_KINDS and k != TaskKind.JOINT_REVIEW
                    }
                )
            ),
        }
    return None


def studio_vocabulary() -> Vocabulary:
    """What the cases app can run: variables, routable user tasks, the credit table's outputs."""
    inputs = frozenset(
        credit_route_context(status=CreditStatus(subject=""), commitment_eligible=False)
    )
    return Vocabulary(
        variables=PROCESS_VARIABLES,
        user_task_refusal=_user_task_refusal,
        decision_inputs={CREDIT_ROUTE_DECISION: inputs},
        decision_outputs={
            CREDIT_ROUTE_DECISION: {
                "route": frozenset(CreditRoute.values),
                "reason": None,
            }
        },
    )


def center_admin_required(actor: User) -> None:
    """PermissionDenied unless ``actor`` is a center admin."""
    if StaffRole.CENTER_ADMIN not in identity_selectors.user_roles(user=actor):
        raise PermissionDenied(_("只有中心管理员可以上传或审批流程版本"))


@transaction.atomic
def process_version_upload(
    *, actor: User, name: str, source: bytes, note: str = ""
) -> ProcessDefinition:
    """A center admin proposes a new version of ``name``: validated, dry-run, stored unpublished.

    A candidate that fails validation is refused (422, each problem named) and nothing is
    stored.
    """
    center_admin_required(actor)
    kind = versions.definition_kind(name)
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("变更说明过长"),
            errors=[FieldError("note", _("最多%(max)s个字") % {"max": MAX_NOTE_LENGTH})],
        )
    current = versions.definition_current(name)
    validated = definition_validate(
        name=name,
        kind=kind,
        source=source,
        vocabulary=studio_vocabulary(),
        published_source=current.source,
    )
    dry_run = (
        definition_dry_run(spec=validated.spec, published=current)
        if kind == DefinitionKind.BPMN
        else {}
    )
    return versions.definition_candidate_store(
        name=name,
        kind=kind,
        source=source,
        spec=validated.spec,
        note=note,
        uploaded_by=actor,
        based_on=current,
        validation_report=validated.report,
        dry_run_report=dry_run,
    )


@transaction.atomic
def process_version_approve(
    *, actor: User, name: str, version: int, comment: str = ""
) -> ProcessDefinition:
    """A second center admin approves a validated version: published, new cases take it."""
    center_admin_required(actor)
    definition = versions.definition_version(name, version)
    if definition.uploaded_by_id == actor.pk:
        raise PermissionDenied(_("四眼原则：不能审批自己上传的版本，请由另一位中心管理员审批"))
    return versions.definition_publish(
        definition=definition, reviewed_by=actor, comment=comment.strip()[:MAX_NOTE_LENGTH]
    )


@transaction.atomic
def process_version_reject(
    *, actor: User, name: str, version: int, comment: str
) -> ProcessDefinition:
    """A center admin rejects a validated version (the uploader may withdraw their own)."""
    center_admin_required(actor)
    comment = comment.strip()
    if not comment:
        raise ValidationFailed(
            _("请说明驳回理由"), errors=[FieldError("comment", _("请填写驳回理由"))]
        )
    definition = versions.definition_version(name, version)
    return versions.definition_reject(
        definition=definition, reviewed_by=actor, comment=comment[:MAX_NOTE_LENGTH]
    )
