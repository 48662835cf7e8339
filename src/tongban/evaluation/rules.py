"""Which stages of a case can be rated and when they happened: pure reads, each rule once.

A stage happened when the case's timeline records it: acceptance at 受理, 逾期视为受理 or
不予受理; the result at 出证, 办结 or 不予许可.  A theme (一件事) is rated on its parent
case: its acceptance is the first acceptance (or refusal) of any of its matters, its
result the parent's own end.  Drafts, withdrawals and theme children are never rated.
"""

from __future__ import annotations

from datetime import datetime

from tongban.cases.choices import TimelineAction
from tongban.cases.models import Case, TimelineEntry
from tongban.evaluation.choices import BAD_SCORE_MAX, Stage

#: Timeline actions after which a stage is open for rating.
STAGE_ACTIONS: dict[str, frozenset[str]] = {
    Stage.ACCEPTANCE: frozenset(
        {TimelineAction.ACCEPTED, TimelineAction.DEEMED_ACCEPTED, TimelineAction.REJECTED}
    ),
    Stage.RESULT: frozenset(
        {TimelineAction.ISSUED, TimelineAction.COMPLETED, TimelineAction.DENIED}
    ),
}
#: The stages in the order they happen.
STAGE_ORDER: tuple[str, ...] = (Stage.ACCEPTANCE, Stage.RESULT)


def stage_of_action(action: str) -> str | None:
    """The stage a timeline action opens for rating, or None."""
    for stage, actions in STAGE_ACTIONS.items():
        if action in actions:
            return stage
    return None


def is_theme_child(case: Case) -> bool:
    """Whether ``case`` is one matter of a theme application (rated through its parent)."""
    return case.parent_id is not None


def rated_case(case: Case) -> Case:
    """The case a stage of ``case`` is rated on: the theme's parent for a child, else itself."""
    if case.parent_id is None:
        return case
    parent = case.parent
    assert parent is not None
    return parent


def stage_times(case: Case) -> dict[str, datetime]:
    """When each stage of ``case`` happened (first time), for the stages that did."""
    if is_theme_child(case):
        return {}
    acceptance = STAGE_ACTIONS[Stage.ACCEPTANCE]
    result = STAGE_ACTIONS[Stage.RESULT]
    entries = TimelineEntry.objects.filter(case=case, action__in=acceptance | result)
    rows: list[tuple[str, datetime]] = list(entries.values_list("action", "at"))
    if case.theme_id is not None and case.matter_id is None:
        # A theme is accepted when its first matter is (or is refused).
        rows += [
            (action, at)
            for action, at in TimelineEntry.objects.filter(
                case__parent=case, action__in=acceptance
            ).values_list("action", "at")
        ]
    times: dict[str, datetime] = {}
    for action, at in rows:
        stage = stage_of_action(action)
        if stage is not None and (stage not in times or at < times[stage]):
            times[stage] = at
    return times


def stage_to_rate(happened: set[str] | dict[str, datetime], rated: set[str]) -> str | None:
    """The latest stage that happened and is not rated yet (a rating that names no stage)."""
    for stage in reversed(STAGE_ORDER):
        if stage in happened and stage not in rated:
            return stage
    return None


def is_bad_score(score: int) -> bool:
    """差评: a score of 1 or 2."""
    return score <= BAD_SCORE_MAX
