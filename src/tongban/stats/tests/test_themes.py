"""Themes in the indicators, on the demo district: the open-company funnel, combined licences."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tongban.cases.tests.test_themes import FORMS, _applied, _children, _decide_all
from tongban.certificates.models import Certificate
from tongban.certificates.tests.test_combined import demo, licence  # noqa: F401 (fixtures)
from tongban.identity.models import User
from tongban.stats import selectors
from tongban.stats.tests.test_rebuild import computed_snapshot, live_snapshot

pytestmark = pytest.mark.django_db

Headers = Callable[[User], dict[str, str]]


def test_the_open_company_funnel_follows_one_application(
    demo: None,  # noqa: F811
    api_client: Client,
    bearer: Headers,
) -> None:
    parent = _applied(api_client, bearer, "open-company", dict(FORMS["open-company"]))
    period = selectors.period_parse(None, None)
    funnel = selectors.company_funnel(period=period)
    assert (funnel["submitted"], funnel["accepted"], funnel["approved"]) == (1, 0, 0)
    assert funnel["steps"] == 3
    assert funnel["promised_limit_days"] == 5

    children = _children(parent["id"])
    _decide_all(api_client, bearer, children[0])
    funnel = selectors.company_funnel(period=period)
    # One matter accepted and approved: the application passed pre-review and was approved.
    assert (funnel["submitted"], funnel["accepted"], funnel["approved"]) == (1, 1, 1)
    assert funnel["completed"] == 0

    for child in children[1:]:
        _decide_all(api_client, bearer, child)
    funnel = selectors.company_funnel(period=period)
    # Each counts once however many of the three matters reached it.
    assert (funnel["accepted"], funnel["approved"], funnel["completed"]) == (1, 1, 1)
    assert funnel["completed_rate"] == 1.0
    assert funnel["median_working_days"] == 0  # all on the day of submission

    themes = {t["code"]: t for t in selectors.themes(period=period)}
    assert themes["open-company"]["applications"] == 1
    assert themes["open-company"]["steps"] == 3
    figures = selectors.overview(period=period)
    # The three matters are three 办件; the theme application is counted apart.
    assert figures["cases_total"] == 3
    assert figures["theme_applications"] == 1
    assert figures["combined_licences_issued"] == 0
    assert computed_snapshot() == live_snapshot()


def test_a_combined_licence_is_counted_once(licence: Certificate) -> None:  # noqa: F811
    period = selectors.period_parse(None, None)
    figures = selectors.overview(period=period)
    assert figures["combined_licences_issued"] == 1
    assert figures["cases_total"] == 5
    themes = {t["code"]: t for t in selectors.themes(period=period)}
    assert themes["food-drug-licence"]["combined_licences"] == 1
    assert themes["food-drug-licence"]["completed"] == 1
    assert computed_snapshot() == live_snapshot()
