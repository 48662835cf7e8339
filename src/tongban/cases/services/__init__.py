"""Case operations, one module per part of a case's life; this package keeps their public names.

Modules, lowest first (each imports only modules above it in this list):

* ``common``: lock a case, refuse a wrong status, write the timeline; ``walk_in``: who applies
  at the counter (前台综合受理).
* ``idempotency``, ``materials`` (file checks, storing), ``visits`` (最多跑一次),
  ``notifications`` (the outbox and its send task).
* ``sla`` (deadlines), ``sharing`` (免提交 via the exchange), ``routes`` (credit routes).
* ``deferral`` (容缺), ``joint_review`` (联审), ``inspection`` (先证后查).
* ``process``: ready BPMN tasks mirrored as Task rows.
* ``matter``: one matter's draft and submission; ``themes``: a theme's parent and children.
* ``outputs``: payment, certificate, delivery, pick-up — what an approved case produces;
  ``output_window``: the hand-over at the center's output window (统一出件).
* ``apply`` (the applicant's draft), ``decide`` (staff decisions), ``supplement`` (补正),
  ``lifecycle`` (withdraw, extend, timers); ``sweep`` (the periodic SLA sweep).
"""

from __future__ import annotations

from tongban.cases.services.apply import (
    case_create,
    case_submit,
    case_update_form,
    material_upload,
)
from tongban.cases.services.decide import (
    DECISION_HANDLERS,
    DECISIONS_NEEDING_REASON,
    OUT_OF_PROCESS_HANDLERS,
    OutOfProcessHandler,
    supplement_items,
    supplement_message,
    task_claim,
    task_complete,
)
from tongban.cases.services.lifecycle import case_extend, case_timers_fire, case_withdraw
from tongban.cases.services.matter import case_party_confirm
from tongban.cases.services.outputs import (
    case_delivery_choose,
    case_outputs_summary,
    case_payment_order,
    case_payment_request,
    case_pickup_confirm,
)
from tongban.cases.services.process import APPLICANT_LANE, SUPPLEMENT_TASKS
from tongban.cases.services.supplement import case_supplement_answer
from tongban.cases.services.visits import visit_record

__all__ = [
    "APPLICANT_LANE",
    "DECISIONS_NEEDING_REASON",
    "DECISION_HANDLERS",
    "OUT_OF_PROCESS_HANDLERS",
    "SUPPLEMENT_TASKS",
    "OutOfProcessHandler",
    "case_create",
    "case_delivery_choose",
    "case_extend",
    "case_outputs_summary",
    "case_party_confirm",
    "case_payment_order",
    "case_payment_request",
    "case_pickup_confirm",
    "case_submit",
    "case_supplement_answer",
    "case_timers_fire",
    "case_update_form",
    "case_withdraw",
    "material_upload",
    "supplement_items",
    "supplement_message",
    "task_claim",
    "task_complete",
    "visit_record",
]
