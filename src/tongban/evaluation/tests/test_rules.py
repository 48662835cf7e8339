"""Which stages count and when they happened; a theme is rated as a whole."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tongban.cases.choices import TimelineAction
from tongban.cases.models import Case, TimelineEntry
from tongban.cases.tests.api_helpers import Headers
from tongban.cases.tests.test_themes import FORMS, _applied, _children, _decide_all, demo
from tongban.core.errors import ValidationFailed
from tongban.evaluation import rules, services
from tongban.evaluation.models import Invitation
from tongban.identity.models import User

__all__ = ["demo"]


@pytest.mark.parametrize(
    ("action", "stage"),
    [
        (TimelineAction.ACCEPTED, "acceptance"),
        (TimelineAction.DEEMED_ACCEPTED, "acceptance"),
        (TimelineAction.REJECTED, "acceptance"),
        (TimelineAction.ISSUED, "result"),
        (TimelineAction.COMPLETED, "result"),
        (TimelineAction.DENIED, "result"),
        (TimelineAction.APPROVED, None),  # the licence is not out yet
        (TimelineAction.SUBMITTED, None),
        (TimelineAction.WITHDRAWN, None),
        (TimelineAction.SUPPLEMENT_REQUESTED, None),
        (TimelineAction.CHILD_STATUS, None),
    ],
)
def test_the_actions_that_open_a_stage(action: str, stage: str | None) -> None:
    assert rules.stage_of_action(action) == stage


def test_a_rating_without_a_stage_takes_the_latest_unrated_one() -> None:
    both = {"acceptance", "result"}
    assert rules.stage_to_rate(both, set()) == "result"
    assert rules.stage_to_rate(both, {"result"}) == "acceptance"
    assert rules.stage_to_rate({"acceptance"}, set()) == "acceptance"
    assert rules.stage_to_rate(both, both) is None
    assert rules.stage_to_rate(set(), set()) is None


def test_a_bad_score_is_one_or_two() -> None:
    assert [s for s in range(1, 6) if rules.is_bad_score(s)] == [1, 2]


def test_a_stage_happened_when_its_first_entry_was_written(completed_case: Case) -> None:
    times = rules.stage_times(completed_case)
    accepted = TimelineEntry.objects.get(case=completed_case, action="accepted").at
    assert times["acceptance"] == accepted
    assert set(times) == {"acceptance", "result"}
    later = accepted + dt.timedelta(days=3)
    TimelineEntry.objects.create(case=completed_case, at=later, action="issued")
    assert rules.stage_times(completed_case)["result"] < later


def test_a_theme_is_invited_and_rated_as_a_whole(
    demo: None, api_client: Client, bearer: Headers
) -> None:
    parent_out = _applied(api_client, bearer, "open-company", dict(FORMS["open-company"]))
    parent = Case.objects.get(pk=parent_out["id"])
    children = _children(parent.pk)
    _decide_all(api_client, bearer, children[0])
    # The first matter's acceptance opens the theme's acceptance; its result does not.
    assert list(Invitation.objects.values_list("case_id", "stage")) == [(parent.pk, "acceptance")]
    for child in children[1:]:
        _decide_all(api_client, bearer, child)
    assert sorted(Invitation.objects.values_list("case_id", "stage")) == [
        (parent.pk, "acceptance"),
        (parent.pk, "result"),
    ]
    citizen = User.objects.get(username="citizen")
    with pytest.raises(ValidationFailed):
        services.evaluation_create(actor=citizen, case=children[0], score=5)
    parent.refresh_from_db()
    rating = services.evaluation_create(actor=citizen, case=parent, score=2)
    # The lead department answers for the theme: it receives the rating and its follow-up.
    assert (rating.stage, rating.department, rating.theme, rating.matter) == (
        "result",
        parent.department,
        parent.theme,
        None,
    )
    assert rating.follow_up_task is not None
    assert rating.follow_up_task.department == parent.department
