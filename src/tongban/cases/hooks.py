"""What happens to a case, told to the apps above ``cases`` (stats, evaluation).

Every timeline entry is an event: ``timeline_add`` sends ``case_event`` inside the
transaction that writes it, so a receiver's rows (a rollup, an invitation to rate)
commit or roll back with the step itself.  A visit is its own event (a pick-up and
a window submission count towards 最多跑一次).  Receivers connect in their app's
``ready()``; nobody needs to listen, so both hooks are optional.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.cases.models import Case, TimelineEntry, Visit
from tongban.core.hooks import Hook


@dataclass(frozen=True)
class CaseEvent:
    """One timeline entry was written for ``case`` (``entry.action`` is a ``TimelineAction``).

    ``case``, when given, is the object the operation holds (its matter, version and
    department loaded), as the step has changed it so far — fields may be set that the step
    saves after the entry. A receiver reads what it needs from it instead of the database.
    """

    case_id: int
    entry: TimelineEntry
    case: Case | None = None


@dataclass(frozen=True)
class VisitRecorded:
    """The applicant came in person for ``case``."""

    case: Case
    visit: Visit


#: Sent by ``cases.services.common.timeline_add`` for every entry.
case_event: Hook[CaseEvent] = Hook("cases.case_event", required=False)
#: Sent by ``cases.services.visits.visit_record``.
visit_recorded: Hook[VisitRecorded] = Hook("cases.visit_recorded", required=False)
