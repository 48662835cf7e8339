"""`tongban simulate`: a small district year through the real services, the same for one seed."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings

from tongban.cases.choices import CaseStatus, TimelineAction
from tongban.cases.models import Case, SupplementRequest, Visit, VisitKind
from tongban.catalog.forms import form_errors
from tongban.counter.choices import TicketStatus, WindowKind
from tongban.counter.models import Ticket, WindowAssignment
from tongban.delivery.choices import DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.demo.loader import DemoSummary, demo_load
from tongban.demo.simulate import mix
from tongban.demo.simulate.forms import Who, form_fill
from tongban.demo.simulate.run import SimulateOptions, simulate_run, targets_load
from tongban.demo.simulate.timing import OfficeHours
from tongban.evaluation.models import Evaluation
from tongban.identity.models import User
from tongban.payments.choices import PaymentStatus
from tongban.payments.models import PaymentCallback, PaymentOrder
from tongban.workflow.calendar import SHANGHAI

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def district(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """The demo district, loaded once and rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        summary = demo_load()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def small_year(district: DemoSummary, django_db_blocker: Any) -> Iterator[str]:
    """Forty applications over a quarter, through the command; rolled back after the module."""
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "simulate",
            "--cases",
            "40",
            "--days",
            "91",
            "--seed",
            "7",
            "--until",
            "2026-06-30",
            stdout=out,
        )
        yield out.getvalue()
        transaction.set_rollback(True)


def _simulated() -> Any:
    return Case.objects.filter(applicant_user__username__startswith="sim-p-")


def test_a_small_run_has_cases_in_every_channel(small_year: str) -> None:
    channels = set(_simulated().filter(parent__isnull=True).values_list("channel", flat=True))
    assert channels == {"online", "window", "mobile"}
    # A window application is a visit to the center (最多跑一次 counts it).
    assert Visit.objects.filter(case__channel="window").exists()


def test_walk_ins_take_a_ticket_that_a_center_clerk_calls_accepts_and_finishes(
    small_year: str,
) -> None:
    walk_ins = _simulated().filter(parent__isnull=True, channel="window")
    assert walk_ins.exists()
    assert walk_ins.filter(theme__isnull=False).exists()
    for case in walk_ins.select_related("ticket", "window", "window_clerk", "matter", "theme"):
        ticket = case.ticket
        assert ticket is not None, case.number
        # The walk-in queued at the section of the matter (a theme: its own section).
        section_id = case.theme.section_id if case.theme else case.matter.section_id
        assert (ticket.section_id, case.window.section_id) == (section_id, section_id)
        assert ticket.status == TicketStatus.DONE
        assert ticket.issued_at <= ticket.called_at <= ticket.started_at < ticket.finished_at
        # Called at a comprehensive window by the center clerk who accepted the application.
        assert (ticket.window_id, ticket.clerk_id) == (case.window_id, case.window_clerk_id)
        assert case.window.kind == WindowKind.COMPREHENSIVE
        assert case.window_clerk.username in ("center-clerk", "center-clerk2")
        assert case.applicant_user.username.startswith("sim-p-")
        assert case.submitted_at == ticket.called_at
        assert ticket.day == ticket.called_at.astimezone(SHANGHAI).date()
    # Nobody is left waiting in the simulated queues.
    tickets = Ticket.objects.filter(pk__in=walk_ins.values("ticket_id"))
    assert not tickets.exclude(status=TicketStatus.DONE).exists()


def test_pick_ups_are_handed_over_at_the_output_window(small_year: str) -> None:
    picked_up = _simulated().filter(delivery_method="pickup", status=CaseStatus.COMPLETED)
    assert picked_up.filter(channel="window").exists()
    assert picked_up.exclude(channel="window").exists()
    output_clerks = set(
        WindowAssignment.objects.filter(window__kind=WindowKind.OUTPUT).values_list(
            "clerk_id", flat=True
        )
    )
    for case in picked_up:
        visit = Visit.objects.get(case=case, kind=VisitKind.PICKUP)
        assert visit.recorded_by_id in output_clerks
        handed = case.timeline.get(action=TimelineAction.PICKED_UP)
        # The hand-over names who collected it and that they signed (the old pick-up did not).
        assert handed.actor_id == visit.recorded_by_id and handed.comment


def test_a_small_run_spreads_statuses_from_open_to_completed_and_refused(small_year: str) -> None:
    statuses = set(_simulated().filter(parent__isnull=True).values_list("status", flat=True))
    assert CaseStatus.COMPLETED in statuses
    assert statuses & {CaseStatus.REJECTED, CaseStatus.DENIED}
    assert statuses & {
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.SUPPLEMENT_REQUIRED,
        CaseStatus.ISSUED,
    }
    assert not _simulated().filter(status=CaseStatus.DRAFT, parent__isnull=True).exists()


def test_a_small_run_asks_for_supplements_and_gets_them(small_year: str) -> None:
    requests = SupplementRequest.objects.filter(case__in=_simulated())
    assert requests.exists()
    assert requests.filter(answered_at__isnull=False).exists()


def test_fees_are_paid_through_the_sandbox_callback(small_year: str) -> None:
    paid = PaymentOrder.objects.filter(case__in=_simulated(), status=PaymentStatus.PAID)
    assert paid.exists()
    for order in paid:
        callback = PaymentCallback.objects.get(order=order)
        assert callback.signature_valid and callback.outcome == "accepted"


def test_licences_are_posted_and_delivered_by_the_sandbox_carrier(small_year: str) -> None:
    parcels = DeliveryOrder.objects.filter(case__in=_simulated())
    assert parcels.filter(status=DeliveryStatus.DELIVERED).exists()


def test_applicants_rate_stages_online_and_at_the_window_device(small_year: str) -> None:
    ratings = Evaluation.objects.filter(case__in=_simulated())
    assert set(ratings.values_list("channel", flat=True)) >= {"online", "window"}
    assert set(ratings.values_list("stage", flat=True)) == {"acceptance", "result"}
    # A window rating is the applicant's, handed over by a clerk on the counter device.
    for rating in ratings.filter(channel="window"):
        assert rating.rated_by == rating.case.applicant_user and rating.handed_by is not None


def test_bad_ratings_are_followed_up_by_the_supervisor(
    district: DemoSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mix, "RATING_SHARE", 1.0)
    monkeypatch.setattr(mix, "BAD_RATING_SHARE", 1.0)
    until = dt.date(2026, 4, 30)
    result = simulate_run(SimulateOptions(cases=6, days=45, seed=3, until=until))
    assert result.figures["bad_ratings_answered"] > 0
    bad = Evaluation.objects.filter(case__in=_simulated(), score__lte=2)
    # Answered within five working days: every bad rating older than two weeks has its answer.
    settled = bad.filter(rated_at__lt=dt.datetime(2026, 4, 16, tzinfo=SHANGHAI))
    assert settled.exists()
    for rating in settled.select_related("answered_by", "follow_up_task", "department"):
        assert rating.answered_by is not None
        assert rating.answered_by.username == f"{rating.department.code}-supervisor"
        assert rating.follow_up_task is not None and rating.follow_up_task.state == "completed"


def test_every_step_happens_on_a_working_day_within_the_period(small_year: str) -> None:
    hours = OfficeHours()
    for submitted in _simulated().exclude(submitted_at=None).values_list("submitted_at", flat=True):
        local = submitted.astimezone(SHANGHAI)
        assert dt.date(2026, 4, 1) <= local.date() <= dt.date(2026, 6, 30)
        assert hours.is_working_day(local.date())
        assert 9 <= local.hour < 17


def test_the_command_prints_the_rate_and_the_counts(small_year: str) -> None:
    assert "件/秒 (applications/s)" in small_year
    assert "按渠道 (by channel):" in small_year
    assert "被业务规则拒绝" not in small_year, small_year


def test_the_same_seed_gives_the_same_figures(district: DemoSummary) -> None:
    options = SimulateOptions(cases=8, days=20, seed=11, until=dt.date(2026, 3, 31))

    def figures() -> tuple[Any, ...]:
        with transaction.atomic():
            result = simulate_run(options)
            transaction.set_rollback(True)
        return (result.by_status, result.by_target, result.by_channel, result.figures)

    first = figures()
    assert sum(first[0].values()) == 8
    # Walk-ins included: their tickets are numbered and called the same way on every run.
    assert first[2]["window"] > 0 and first[3]["window_tickets_served"] > 0
    assert figures() == first


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cases", "0"], "--cases"),
        (["--cases", "many"], "--cases"),
        (["--days", "-5"], "--days"),
        (["--until", "2026-02-30"], "--until"),
        (["--until", "tomorrow"], "--until"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_error_and_change_nothing(
    district: DemoSummary, arguments: list[str], message: str
) -> None:
    cases, users = Case.objects.count(), User.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("simulate", *arguments, stdout=io.StringIO())
    assert (Case.objects.count(), User.objects.count()) == (cases, users)


def test_every_form_it_fills_is_valid_for_its_matter_or_theme(district: DemoSummary) -> None:
    person = Who(
        name="张伟", id_number="310114198803120317", phone="13817260431", address="城中路1号"
    )
    agent = Who(
        name="王芳",
        id_number="310114198511230469",
        phone="13661985527",
        address="城中路138号",
        company_name="上海嘉通餐饮管理有限公司",
        uscc="91310114MA1GU3K88G",
    )
    targets = targets_load()
    assert {t.key for t in targets} >= {"company-registration", "theme:open-company"}
    for target in targets:
        needs_uscc = "uscc" in (target.schema.get("required") or ())
        for who in (agent,) if needs_uscc else (person, agent):
            for seed in range(3):
                form = form_fill(
                    target.schema, who=who, today=dt.date(2026, 5, 6), rng=random.Random(seed)
                )
                assert form_errors(schema=target.schema, form=form, complete=True) == [], target.key


def test_office_hours_carry_work_over_the_weekend() -> None:
    hours = OfficeHours()
    friday = dt.datetime(2026, 3, 6, 15, 0, tzinfo=SHANGHAI)
    later = hours.later(friday, 1.0).astimezone(SHANGHAI)
    assert (later.date(), later.hour) == (dt.date(2026, 3, 9), 15)
