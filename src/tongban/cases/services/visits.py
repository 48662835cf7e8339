"""最多跑一次: each matter's share of cases done with at most one in-person visit, from live data.

A case's visits are its own ``visit_count`` (kept by ``visit_record`` below)
plus those of its theme parent, since a theme submitted at the window is one
visit for every matter in it.  Only completed cases count: a case still running
may need another visit.  A matter without completed cases is judged by its
guide (``Matter.max_visits`` ≤ 1), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tongban.cases.choices import CaseStatus
from tongban.cases.hooks import VisitRecorded, visit_recorded
from tongban.cases.models import Case, Visit
from tongban.catalog.choices import Audience
from tongban.catalog.models import Matter, localized
from tongban.identity.models import User

#: Matters an enterprise can apply for (the reform's figure counts 法人事项).
ENTERPRISE_AUDIENCES = (Audience.ENTERPRISE, Audience.BOTH)
#: "At most one visit".
AT_MOST = 1


def visit_record(
    *, case: Case, kind: str, actor: User | None = None, now: datetime | None = None
) -> Visit:
    """Record one in-person visit of the applicant for ``case`` and count it."""
    visit = Visit.objects.create(case=case, kind=kind, at=now or timezone.now(), recorded_by=actor)
    # An UPDATE with F() so two visits recorded at once both count; the caller's copy follows.
    Case.objects.filter(pk=case.pk).update(visit_count=F("visit_count") + 1)
    case.visit_count = Case.objects.values_list("visit_count", flat=True).get(pk=case.pk)
    visit_recorded.send(VisitRecorded(case=case, visit=visit))
    return visit


@dataclass(frozen=True)
class MatterVisitShare:
    code: str
    name: str
    audience: str
    #: What the guide promises (最多跑几次).
    max_visits: int
    #: Completed cases of the matter.
    cases: int
    #: Of those, cases with at most one visit.
    at_most_one: int
    #: at_most_one / cases, or the guide's promise (1.0 or 0.0) when there are no cases.
    share: float
    #: "cases" when measured, "guide" when declared by the guide for lack of cases.
    source: str

    @property
    def meets(self) -> bool:
        """Whether the typical (median) case of the matter needed at most one visit."""
        return self.share >= 0.5


@dataclass(frozen=True)
class VisitsOverview:
    #: Completed cases of enterprise matters, and those with at most one visit.
    enterprise_cases: int
    enterprise_cases_at_most_one: int
    #: Their share; None before any enterprise case is completed.
    enterprise_case_share: float | None
    #: Active enterprise matters, and those that meet 最多跑一次 (measured or declared).
    enterprise_matters: int
    enterprise_matters_at_most_one: int
    enterprise_matter_share: float | None
    #: Of the enterprise matters without completed cases: how many the guide declares ≤ 1.
    enterprise_matters_declared: int
    enterprise_matters_declared_at_most_one: int


def _case_counts() -> dict[int, tuple[int, int]]:
    visits = F("visit_count") + Coalesce(
        F("parent__visit_count"), Value(0), output_field=IntegerField()
    )
    rows = (
        Case.objects.filter(status=CaseStatus.COMPLETED, matter__isnull=False)
        .annotate(visits_total=visits)
        .values("matter_id")
        .annotate(total=Count("id"), ok=Count("id", filter=Q(visits_total__lte=AT_MOST)))
        .order_by()
    )
    return {row["matter_id"]: (row["total"], row["ok"]) for row in rows}


def matter_visit_shares(*, audience: str | None = None) -> list[MatterVisitShare]:
    """Every active matter's 最多跑一次 share, measured from completed cases or declared."""
    counts = _case_counts()
    matters = Matter.objects.filter(is_active=True).order_by("code")
    if audience == Audience.ENTERPRISE:
        matters = matters.filter(audience__in=ENTERPRISE_AUDIENCES)
    elif audience:
        matters = matters.filter(audience__in=(audience, Audience.BOTH))
    out = []
    for matter in matters:
        total, ok = counts.get(matter.pk, (0, 0))
        if total:
            share, source = ok / total, "cases"
        else:
            share, source = (1.0 if matter.max_visits <= AT_MOST else 0.0), "guide"
        out.append(
            MatterVisitShare(
                code=matter.code,
                name=localized(matter, "name"),
                audience=matter.audience,
                max_visits=matter.max_visits,
                cases=total,
                at_most_one=ok,
                share=share,
                source=source,
            )
        )
    return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def visits_overview() -> VisitsOverview:
    """The enterprise 最多跑一次 figures (the reform's 94.01%), from live data."""
    shares = matter_visit_shares(audience=Audience.ENTERPRISE)
    cases = sum(s.cases for s in shares)
    cases_ok = sum(s.at_most_one for s in shares)
    declared = [s for s in shares if s.source == "guide"]
    matters_ok = sum(1 for s in shares if s.meets)
    return VisitsOverview(
        enterprise_cases=cases,
        enterprise_cases_at_most_one=cases_ok,
        enterprise_case_share=_ratio(cases_ok, cases),
        enterprise_matters=len(shares),
        enterprise_matters_at_most_one=matters_ok,
        enterprise_matter_share=_ratio(matters_ok, len(shares)),
        enterprise_matters_declared=len(declared),
        enterprise_matters_declared_at_most_one=sum(1 for s in declared if s.share >= 1.0),
    )
