"""``tongban simulate``: a district year replayed through the real services.

Every application is planned up front from the seed (what, who, which channel, when, how
it ends); then one event loop walks simulated time in order.  Each event is one step a
person takes — an applicant submits, a clerk accepts, a reviewer passes, an approver
decides or extends, an applicant answers a supplement request, pays, delivers a deferred
material, a courier scans a parcel, a clerk of the output window hands a licence over, the SLA
sweep runs before each working day — and calls the service that step calls in production, with
``now=`` the simulated moment.  A walk-in takes a ticket at the center, and a center clerk calls
it and accepts the application for them.  Nothing is inserted directly.

The same seed, period and catalogue give the same cases on a fresh database: every draw
comes from a random generator seeded per application, and events run in (moment, order)
order.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q

from tongban.cases import services as case_services
from tongban.cases.choices import (
    FINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    CaseStatus,
    Decision,
    MaterialOrigin,
    MaterialStatus,
    SupplementState,
    TaskKind,
    TaskState,
)
from tongban.cases.models import Case, CaseMaterial, SupplementRequest, Task, Visit, VisitKind
from tongban.cases.services.output_window import output_hand_over
from tongban.cases.services.sweep import sla_sweep
from tongban.catalog.models import Department, Matter, Theme
from tongban.catalog.services.themes import theme_form_schema
from tongban.core.errors import DomainError, InvalidStateChange
from tongban.counter.choices import TicketStatus, WindowKind
from tongban.counter.models import NegativeListEntry, WindowAssignment
from tongban.counter.services import ticket_call_next, ticket_finish, ticket_issue, ticket_start
from tongban.delivery.choices import DeliveryMethod, DeliveryStatus
from tongban.delivery.models import DeliveryOrder
from tongban.delivery.services import delivery_advance
from tongban.demo.simulate import mix
from tongban.demo.simulate.clock import SimulatedClock, simulated_time
from tongban.demo.simulate.forms import Who, form_fill
from tongban.demo.simulate.gateway import Gateway, sandbox_gateway
from tongban.demo.simulate.population import Firm, Population, Resident, population_ensure
from tongban.demo.simulate.progress import Output, ProgressBar
from tongban.demo.simulate.timing import OfficeHours
from tongban.evaluation.models import Evaluation, Invitation
from tongban.evaluation.services import (
    evaluation_create,
    follow_up_answer,
    rating_request_open,
    rating_request_rate,
)
from tongban.identity.models import User
from tongban.identity.numbers import resident_id_make
from tongban.payments.choices import PaymentStatus
from tongban.payments.models import PaymentOrder
from tongban.workflow.calendar import SHANGHAI

logger = logging.getLogger(__name__)

#: A tiny valid PDF: uploads go through the real file checks and storage, quickly.
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
#: What the SLA sweep is run at, before each working day opens.
SWEEP_AT = dt.time(8, 30)
#: The last call of a ticket at the windows (the doors shut at 17:00).
LAST_CALL = dt.time(16, 50)

REJECT_REASON = "申请人不符合受理条件：申请事项不属于本部门职权范围"
DENY_REASON = "经审查，申请不符合法定条件，依法不予许可"
SUPPLEMENT_REASON = "材料不清晰，请重新上传清晰完整的扫描件"
EXTENSION_REASON = "需现场核查，经负责人批准延长审批期限"
RECTIFICATION = "已约谈窗口工作人员，完善一次性告知清单并加强业务培训"
FOLLOW_UP_ANSWER = "感谢您的评价，我们已核实情况并整改，欢迎继续监督"
BAD_COMMENTS = ("等候时间太长", "工作人员态度不好", "材料要求没有一次说清楚", "系统操作太复杂")
GOOD_COMMENTS = ("", "", "办事效率高", "工作人员很耐心", "网上办理很方便")


@dataclass(frozen=True)
class SimulateOptions:
    cases: int
    days: int
    seed: int
    until: dt.date

    @property
    def first_day(self) -> dt.date:
        return self.until - dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Target:
    """What may be applied for: one matter or a theme, with what the plan needs to know."""

    code: str
    theme: Theme | None
    matters: tuple[Matter, ...]
    channels: tuple[str, ...]
    #: The center's section whose queue a walk-in joins (板块).
    section_code: str
    audience: str
    schema: dict[str, Any]
    weight: float

    @property
    def is_theme(self) -> bool:
        return self.theme is not None

    @property
    def key(self) -> str:
        return f"theme:{self.code}" if self.theme is not None else self.code

    @property
    def commitment(self) -> bool:
        return any(m.commitment_eligible for m in self.matters)

    @property
    def fee(self) -> bool:
        return any(m.fee for m in self.matters)

    @property
    def has_certificate(self) -> bool:
        return any(m.certificate_type_id is not None for m in self.matters)


@dataclass
class Plan:
    """One application, drawn from the seed before anything runs."""

    index: int
    target: Target
    channel: str
    at: dt.datetime
    person: Resident
    firm: Firm | None
    outcome: str  # approve, reject, deny, withdraw
    supplement: bool
    defer: bool
    extend: bool
    slow: bool
    slow_at_acceptance: bool
    delivery: str
    rng: random.Random


@dataclass
class Track:
    """An application under way: its case and what the simulator has scheduled for it."""

    plan: Plan
    case_id: int
    scheduled: set[str] = field(default_factory=set)
    supplemented: bool = False
    extended: bool = False
    #: Stages (好差评) the applicant was invited to rate that the simulator has looked at.
    invitations: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class WalkIn:
    """A walk-in at the window: the clerk who called their ticket, where, and when."""

    clerk: User
    window: str
    number: str
    at: dt.datetime


@dataclass
class SimulationResult:
    applications: int
    seconds: float
    first_day: dt.date
    until: dt.date
    #: (root case) status / matter or theme / channel → count, for the cases of this run.
    by_status: Counter[str]
    by_target: Counter[str]
    by_channel: Counter[str]
    figures: dict[str, int]
    errors: Counter[str]

    @property
    def rate(self) -> float:
        return self.applications / self.seconds if self.seconds > 0 else 0.0


def targets_load() -> list[Target]:
    """Every active matter and theme of the catalogue with its weight in a district year."""
    out: list[Target] = []
    # 不进驻中心: a matter on the negative list is not taken at the center's windows.
    outside = set(NegativeListEntry.objects.values_list("matter_id", flat=True))
    for matter in Matter.objects.filter(is_active=True).select_related("section").order_by("code"):
        version = matter.versions.order_by("-version").first()
        if version is None:
            continue
        guide = version.guide if isinstance(version.guide, dict) else {}
        out.append(
            Target(
                code=matter.code,
                theme=None,
                matters=(matter,),
                channels=_channels(matter.channels or (), outside={matter.pk} & outside),
                section_code=matter.section.code,
                audience=matter.audience,
                schema=dict(guide.get("form_schema") or {}),
                weight=mix.WEIGHTS.get(matter.code, mix.DEFAULT_WEIGHT),
            )
        )
    for theme in Theme.objects.filter(is_active=True).select_related("section").order_by("code"):
        links = list(theme.theme_matters.select_related("matter").order_by("stage", "order"))
        if not links:
            continue
        matters = tuple(link.matter for link in links)
        channels = set.intersection(*(set(m.channels or ()) for m in matters))
        audiences = {m.audience for m in matters}
        out.append(
            Target(
                code=theme.code,
                theme=theme,
                matters=matters,
                channels=_channels(
                    [c for c in ("online", "window", "mobile") if c in channels],
                    outside={m.pk for m in matters} & outside,
                ),
                section_code=theme.section.code,
                audience="enterprise" if audiences == {"enterprise"} else "both",
                schema=theme_form_schema(theme=theme),
                weight=mix.WEIGHTS.get(f"theme:{theme.code}", mix.DEFAULT_WEIGHT),
            )
        )
    return [t for t in out if t.channels and t.weight > 0]


class Simulation:
    """One run: plans, the event queue and the handlers that call the services."""

    def __init__(self, options: SimulateOptions, *, out: Output | None = None) -> None:
        self.options = options
        self.out = out
        self.hours = OfficeHours()
        self.clock = SimulatedClock(dt.datetime.combine(options.first_day, SWEEP_AT, SHANGHAI))
        self.queue: list[tuple[dt.datetime, int, str, Any]] = []
        self.order = itertools.count()
        self.staff: dict[tuple[int, str], User] = {}
        #: Section code → its comprehensive windows with the clerk standing at each (叫号受理).
        self.counters: dict[str, list[tuple[str, User]]] = {}
        #: The clerks of the output window (统一出件).
        self.output_clerks: list[User] = []
        self.errors: Counter[str] = Counter()
        self.submitted = 0
        self.gateway: Gateway | None = None
        self.end = dt.datetime.combine(options.until, dt.time.max, SHANGHAI)

    # --- planning ------------------------------------------------------------------------

    def plans_draw(self, targets: list[Target], population: Population) -> list[Plan]:
        options = self.options
        days = self.hours.working_days(options.first_day, options.until)
        if not days:
            return []
        weights = [t.weight for t in targets]
        plans = []
        for index in range(options.cases):
            rng = random.Random(f"{options.seed}:{index}")  # noqa: S311  (reproducible on purpose)
            target = rng.choices(targets, weights=weights)[0]
            channel = _channel_draw(target, rng)
            day = days[rng.randrange(len(days))]
            enterprise = target.audience == "enterprise" or (
                target.audience == "both" and rng.random() < 0.4
            )
            if target.code in mix.PERSON_FOUNDED or target.code in mix.PERSON_THEMES:
                enterprise = False
            if "uscc" in (target.schema.get("required") or ()):
                enterprise = True
            firm = population.firms[rng.randrange(len(population.firms))] if enterprise else None
            person = (
                firm.agent
                if firm is not None
                else population.residents[rng.randrange(len(population.residents))]
            )
            draw = rng.random()
            outcome = "approve"
            if draw < mix.REJECT_SHARE:
                outcome = "reject"
            elif draw < mix.REJECT_SHARE + mix.DENY_SHARE:
                outcome = "deny"
            elif draw < mix.REJECT_SHARE + mix.DENY_SHARE + mix.WITHDRAW_SHARE:
                outcome = "withdraw"
            delivery = DeliveryMethod.ELECTRONIC
            if target.has_certificate and not target.is_theme:
                pick = rng.random()
                if pick < mix.POST_SHARE:
                    delivery = DeliveryMethod.POST
                elif pick < mix.POST_SHARE + mix.PICKUP_SHARE:
                    delivery = DeliveryMethod.PICKUP
            slow = rng.random() < mix.SLOW_SHARE
            plans.append(
                Plan(
                    index=index,
                    target=target,
                    channel=channel,
                    at=self.hours.moment(day, rng),
                    person=person,
                    firm=firm,
                    outcome=outcome,
                    supplement=not target.is_theme and rng.random() < mix.SUPPLEMENT_SHARE,
                    defer=not target.is_theme and rng.random() < mix.DEFERRAL_SHARE,
                    extend=rng.random() < mix.EXTENSION_SHARE,
                    slow=slow,
                    slow_at_acceptance=slow and rng.random() < 0.3,
                    delivery=delivery,
                    rng=rng,
                )
            )
        return plans

    # --- the loop ------------------------------------------------------------------------

    def _event_run(
        self, handlers: dict[str, Callable[[Any], None]], bar: ProgressBar | None
    ) -> None:
        when, _order, kind, payload = heapq.heappop(self.queue)
        self.clock.at = when
        if isinstance(payload, Track):
            payload.scheduled.discard(kind)
        try:
            with transaction.atomic():
                handlers[kind](payload)
        except DomainError as exc:
            self.errors[f"{kind}: {exc}"] += 1
            logger.debug("simulate: %s refused: %s %s", kind, exc, exc.errors)
        if kind == "apply" and bar is not None:
            bar.update(self.submitted, note=f"{when.astimezone(SHANGHAI):%Y-%m-%d}")

    def at(self, when: dt.datetime, kind: str, payload: Any) -> None:
        heapq.heappush(self.queue, (when, next(self.order), kind, payload))

    def follow_at(self, track: Track, kind: str, when: dt.datetime) -> None:
        """Schedule ``kind`` for an application unless one is already waiting."""
        if kind not in track.scheduled:
            track.scheduled.add(kind)
            self.at(when, kind, track)

    def run(self) -> SimulationResult:
        options = self.options
        first_case = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        seed_rng = random.Random(f"{options.seed}:population")  # noqa: S311
        population = population_ensure(
            rng=seed_rng,
            people=max(40, options.cases // 3),
            firms=max(20, options.cases // 6),
        )
        self._center_load()
        targets = self._targets_at_center(targets_load())
        plans = self.plans_draw(targets, population)
        for plan in plans:
            self.at(plan.at, "apply", plan)
        for day in self.hours.working_days(options.first_day, options.until):
            self.at(dt.datetime.combine(day, SWEEP_AT, SHANGHAI), "sweep", day)
        bar = None
        if self.out is not None:
            bar = ProgressBar(total=len(plans), out=self.out, label="模拟 (simulate)")
        handlers: dict[str, Callable[[Any], None]] = {
            "apply": self.apply,
            "staff": self.staff_act,
            "answer": self.answer,
            "pay": self.pay,
            "deferred": self.deferred_deliver,
            "pickup": self.pickup,
            "parcel": self.parcel,
            "withdraw": self.withdraw,
            "rate": self.rate,
            "sweep": self.sweep,
        }
        with sandbox_gateway() as gateway, simulated_time(self.clock):
            self.gateway = gateway
            while self.queue and self.queue[0][0] <= self.end:
                # One transaction per simulated day: every step keeps its own savepoint
                # (a refused step rolls back alone), and the database commits once a day.
                day = self.queue[0][0].astimezone(SHANGHAI).date()
                with transaction.atomic():
                    while self.queue and self.queue[0][0].astimezone(SHANGHAI).date() == day:
                        if self.queue[0][0] > self.end:
                            break
                        self._event_run(handlers, bar)
        elapsed = bar.elapsed if bar is not None else 0.0
        if bar is not None:
            bar.finish()
        return _result(self, first_case=first_case, applications=len(plans), seconds=elapsed)

    def _center_load(self) -> None:
        """The center's standing rota: who calls tickets at which window, who hands over."""
        rota = (
            WindowAssignment.objects.filter(date__isnull=True, window__is_active=True)
            .select_related("window__section", "clerk")
            .order_by("window__order", "window__code", "clerk__username")
        )
        for row in rota:
            if row.window.kind == WindowKind.COMPREHENSIVE:
                counters = self.counters.setdefault(row.window.section.code, [])
                counters.append((row.window.code, row.clerk))
            elif row.window.kind == WindowKind.OUTPUT and row.clerk not in self.output_clerks:
                self.output_clerks.append(row.clerk)

    def _targets_at_center(self, targets: list[Target]) -> list[Target]:
        """No window channel where the section has no staffed comprehensive window."""
        out = []
        for target in targets:
            if "window" in target.channels and target.section_code not in self.counters:
                target = replace(
                    target, channels=tuple(c for c in target.channels if c != "window")
                )
            if target.channels:
                out.append(target)
        return out

    # --- the applicant ---------------------------------------------------------------------

    def apply(self, plan: Plan) -> None:
        rng = plan.rng
        target = plan.target
        person = plan.person.person
        firm = plan.firm
        day = plan.at.astimezone(SHANGHAI).date()
        other = plan.target.code in (
            "housing-transaction",
            "property-tax",
            "property-transfer",
            "property-registration",
        )
        who = Who(
            name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            address=firm.enterprise.address if firm else person.address,
            company_name=firm.enterprise.name if firm else "",
            uscc=firm.enterprise.uscc if firm else "",
            other_name=person.name if not other else f"{person.name[0]}某",
            # The other party of a sale is another person (the services refuse one ID twice).
            other_id_number=person.id_number
            if not other
            else resident_id_make(
                area="310114",
                birth=dt.date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28)),
                sequence=rng.randint(1, 999),
            ),
        )
        form = form_fill(target.schema, who=who, today=day, rng=rng)
        actor, at = plan.person.user, plan.at
        counter: WalkIn | None = None
        if plan.channel == "window":
            # 前台综合受理: the walk-in takes a ticket, a center clerk calls it and accepts
            # the application for them, uploads the paper scans and submits.
            counter = self._ticket_called(plan)
            actor, at = counter.clerk, counter.at
            self.clock.at = at
            applicant = _walk_in_identity(plan)
        elif firm is not None:
            applicant = {"type": "enterprise", "uscc": firm.enterprise.uscc}
        else:
            applicant = {"type": "person"}
        self.submitted += 1
        case = case_services.case_create(
            actor=actor,
            matter_code=None if target.is_theme else target.code,
            theme_code=target.code if target.is_theme else None,
            applicant=applicant,
            form=form,
            channel=plan.channel,
            window_code=counter.window if counter is not None else None,
            ticket_number=counter.number if counter is not None else None,
        )
        track = Track(plan=plan, case_id=case.pk)
        with transaction.atomic():
            deferred = self._materials_provide(case, plan, actor, at)
            if plan.delivery != DeliveryMethod.ELECTRONIC:
                case_services.case_delivery_choose(
                    actor=actor,
                    case=case,
                    method=plan.delivery,
                    address=_address(plan) if plan.delivery == DeliveryMethod.POST else None,
                )
            commitment = {"signed": True} if target.commitment else None
            try:
                with transaction.atomic():
                    case_services.case_submit(
                        actor=actor,
                        case=case,
                        now=at,
                        deferred=[
                            {"requirement": m.requirement_code, "until": self._until(at)}
                            for m in deferred
                        ]
                        or None,
                        commitment=commitment,
                    )
            except DomainError:
                if not deferred:
                    raise
                # 容缺 refused (the applicant's credit, say): they upload it and submit again.
                self.errors["apply: deferral refused, uploaded instead"] += 1
                for material in deferred:
                    self._upload(case, material.requirement_code, actor, at)
                case_services.case_submit(actor=actor, case=case, now=at, commitment=commitment)
        if counter is not None:
            # 办结: the clerk closes the ticket once the walk-in has their receipt.
            served = dt.timedelta(minutes=rng.uniform(*mix.WINDOW_SERVICE_MINUTES))
            ticket_finish(actor=counter.clerk, number=counter.number, now=at + served)
        if plan.outcome == "withdraw":
            self.follow_at(track, "withdraw", self.hours.later(plan.at, rng.uniform(0.1, 1.0)))
        self.follow(track)

    def _until(self, at: dt.datetime) -> str:
        day = at.astimezone(SHANGHAI).date()
        return self.hours.calendar.add_working_days(day, 8).due_date.isoformat()

    def _ticket_called(self, plan: Plan) -> WalkIn:
        """取号 at the matter's section, then a center clerk calls it at a window and starts."""
        rng, target = plan.rng, plan.target
        window, clerk = rng.choice(self.counters[target.section_code])
        ticket = ticket_issue(
            section_code=target.section_code,
            matter_code=None if target.is_theme else target.code,
            now=plan.at,
        )
        # The wait, cut short near closing: who took a ticket is called before the doors shut.
        last_call = dt.datetime.combine(plan.at.astimezone(SHANGHAI).date(), LAST_CALL, SHANGHAI)
        waited = dt.timedelta(minutes=rng.uniform(*mix.WINDOW_WAIT_MINUTES))
        called_at = max(plan.at, min(plan.at + waited, last_call))
        called = ticket_call_next(actor=clerk, window_code=window, now=called_at)
        if called is None or called.pk != ticket.pk:
            # Someone else's ticket (the center in use on a simulated day): leave it to them.
            raise InvalidStateChange(f"walk-in: window {window} called another ticket")
        ticket_start(actor=clerk, number=ticket.number, now=called_at)
        return WalkIn(clerk=clerk, window=window, number=ticket.number, at=called_at)

    def _materials_provide(
        self, case: Case, plan: Plan, actor: User, at: dt.datetime
    ) -> list[CaseMaterial]:
        """Upload every required material not shared; returns the ones deferred instead."""
        missing = [
            m
            for m in case.materials.all().order_by("id")
            if m.required and m.status == MaterialStatus.MISSING
        ]
        deferred: list[CaseMaterial] = []
        if plan.defer:
            deferrable = [m for m in missing if not m.key]
            if deferrable:
                deferred = [deferrable[0]]
        for material in missing:
            if material not in deferred:
                self._upload(case, material.requirement_code, actor, at)
        return deferred

    def _upload(self, case: Case, code: str, actor: User, at: dt.datetime) -> None:
        case_services.material_upload(
            actor=actor, case=case, requirement_code=code, file=_pdf(), now=at
        )

    def answer(self, track: Track) -> None:
        """The applicant answers the open supplement request (补正) in full."""
        now = self.clock.at
        with transaction.atomic():
            for request in SupplementRequest.objects.filter(
                case__in=self._family(track), state=SupplementState.OPEN
            ).select_related("case"):
                files = {
                    item["code"]: _pdf() for item in request.items if item.get("kind") == "material"
                }
                form = {
                    item["code"]: request.case.form_data.get(item["code"])
                    for item in request.items
                    if item.get("kind") == "field"
                }
                case_services.case_supplement_answer(
                    actor=track.plan.person.user, case=request.case, form=form, files=files, now=now
                )
        self.follow(track)

    def pay(self, track: Track) -> None:
        assert self.gateway is not None
        with transaction.atomic():
            for order in PaymentOrder.objects.filter(
                case__in=self._family(track), status=PaymentStatus.PENDING
            ).order_by("id"):
                self.gateway.pay(
                    order=order, at=self.clock.at, nonce=f"{track.plan.rng.getrandbits(128):032x}"
                )
        self.follow(track)

    def deferred_deliver(self, track: Track) -> None:
        with transaction.atomic():
            for material in (
                CaseMaterial.objects.filter(
                    case__in=self._family(track), status=MaterialStatus.DEFERRED
                )
                .exclude(case__status__in=FINAL_STATUSES)
                .select_related("case")
            ):
                self._upload(
                    material.case, material.requirement_code, track.plan.person.user, self.clock.at
                )
        self.follow(track)

    def withdraw(self, track: Track) -> None:
        case = Case.objects.get(pk=track.case_id)
        if case.status in WITHDRAWABLE_STATUSES:
            case_services.case_withdraw(
                actor=track.plan.person.user, case=case, reason="申请人主动撤回", now=self.clock.at
            )

    # --- staff -----------------------------------------------------------------------------

    def _staff(self, department: Department | None, role: str) -> User:
        """The department's demo account of ``role`` (``market-clerk`` …)."""
        assert department is not None
        key = (department.pk, role)
        if key not in self.staff:
            self.staff[key] = User.objects.get(username=f"{department.code}-{role}")
        return self.staff[key]

    def staff_act(self, track: Track) -> None:
        """The next open task of the application is decided by its department's staff."""
        task = (
            Task.objects.filter(self._tasks_q(track), state=TaskState.OPEN)
            .select_related("department", "case", "case__matter")
            .order_by("id")
            .first()
        )
        if task is None:
            return
        plan = track.plan
        now = self.clock.at
        actor = self._staff(task.department, task.role)
        decision, comment, data = Decision.PASS, "", None
        if task.kind == TaskKind.EVALUATION_FOLLOW_UP:
            # 差评回访整改: the supervisor verifies, rectifies and answers the applicant.
            follow_up_answer(
                actor=actor,
                task=task,
                verified=plan.rng.random() < 0.6,
                rectification=RECTIFICATION,
                answer=FOLLOW_UP_ANSWER,
                now=now,
            )
            self.follow(track)
            return
        with transaction.atomic():
            if task.kind == TaskKind.ACCEPT:
                if plan.outcome == "reject":
                    decision, comment = Decision.REJECT, REJECT_REASON
                elif plan.supplement and not track.supplemented:
                    items = _supplement_items(task.case)
                    if items:
                        track.supplemented = True
                        decision, comment, data = Decision.REQUEST_SUPPLEMENT, "", {"items": items}
                    else:
                        decision = Decision.ACCEPT
                else:
                    decision = Decision.ACCEPT
            elif task.kind == TaskKind.DECIDE:
                if plan.extend and not track.extended:
                    track.extended = True
                    self._extend(task)
                decision = Decision.DENY if plan.outcome == "deny" else Decision.APPROVE
                comment = DENY_REASON if decision == Decision.DENY else ""
            case_services.task_complete(
                actor=actor, task=task, decision=decision, comment=comment, data=data, now=now
            )
        self.follow(track)

    def _extend(self, task: Task) -> None:
        case = task.case
        if case.status not in (CaseStatus.ACCEPTED, CaseStatus.UNDER_REVIEW) or case.extension_days:
            return
        approver = self._staff(task.department, "approver")
        legal = int((case.matter.legal_limit_days if case.matter else 0) or 0)
        if legal < 2:
            return
        case_services.case_extend(
            actor=approver,
            case=case,
            days=min(legal, track_days(legal)),
            reason=EXTENSION_REASON,
            now=self.clock.at,
        )

    def pickup(self, track: Track) -> None:
        """统一出件: the applicant (or the enterprise's agent) collects at the output window."""
        plan = track.plan
        with transaction.atomic():
            for case in Case.objects.filter(
                self._family_q(track),
                status=CaseStatus.ISSUED,
                delivery_method=DeliveryMethod.PICKUP,
            ).select_related("department"):
                if not self.output_clerks:
                    # A center without an output window: the department's clerk hands over.
                    clerk = self._staff(case.department, "clerk")
                    case_services.case_pickup_confirm(actor=clerk, case=case, now=self.clock.at)
                    continue
                output_hand_over(
                    actor=plan.rng.choice(self.output_clerks),
                    case=case,
                    id_number=plan.person.person.id_number,
                    signed=True,
                    now=self.clock.at,
                )
        self.follow(track)

    def parcel(self, track: Track) -> None:
        with transaction.atomic():
            for order in DeliveryOrder.objects.filter(
                case__in=self._family(track),
                status__in=(
                    DeliveryStatus.CREATED,
                    DeliveryStatus.COLLECTED,
                    DeliveryStatus.IN_TRANSIT,
                ),
            ):
                delivery_advance(order=order, now=self.clock.at)
        self.follow(track)

    def sweep(self, day: dt.date) -> None:
        sla_sweep(now=self.clock.at)

    # --- what comes next -------------------------------------------------------------------

    def _family_q(self, track: Track) -> Q:
        return Q(pk=track.case_id) | Q(parent_id=track.case_id)

    def _tasks_q(self, track: Track) -> Q:
        return Q(case_id=track.case_id) | Q(case__parent_id=track.case_id)

    def _family(self, track: Track) -> list[int]:
        return list(Case.objects.filter(self._family_q(track)).values_list("pk", flat=True))

    def follow(self, track: Track) -> None:
        """Look at the application and schedule whoever acts next, and when."""
        rng, now = track.plan.rng, self.clock.at
        family = list(
            Case.objects.filter(self._family_q(track)).values_list(
                "pk", "status", "delivery_method"
            )
        )
        ids = [pk for pk, _status, _method in family]
        root_status = next(status for pk, status, _m in family if pk == track.case_id)
        self._ratings_follow(track)
        if root_status in FINAL_STATUSES or root_status == CaseStatus.COMPLETED:
            # What may still come after the end: an inspection (先证后查), a bad rating's
            # follow-up.
            task = (
                Task.objects.filter(case__in=ids, state=TaskState.OPEN)
                .select_related("case", "case__matter")
                .order_by("id")
                .first()
            )
            if task is not None:
                self.follow_at(
                    track, "staff", self.hours.later(now, self._staff_delay(track, task))
                )
            return
        statuses = {status for _pk, status, _m in family}
        # Ask only what this application can have: a supplement once asked for, a fee
        # where a matter charges one, deferred materials where the plan deferred one.
        asked = CaseStatus.SUPPLEMENT_REQUIRED in statuses or track.supplemented
        if (
            asked
            and SupplementRequest.objects.filter(case__in=ids, state=SupplementState.OPEN).exists()
        ):
            self.follow_at(track, "answer", self.hours.later(now, rng.uniform(0.3, 3.0)))
        task = (
            Task.objects.filter(case__in=ids, state=TaskState.OPEN)
            .select_related("case", "case__matter")
            .order_by("id")
            .first()
        )
        if task is not None:
            self.follow_at(track, "staff", self.hours.later(now, self._staff_delay(track, task)))
        if track.plan.target.fee and (
            PaymentOrder.objects.filter(case__in=ids, status=PaymentStatus.PENDING).exists()
        ):
            self.follow_at(track, "pay", self.hours.later(now, rng.uniform(0.05, 2.0)))
        if track.plan.defer and (
            CaseMaterial.objects.filter(case__in=ids, status=MaterialStatus.DEFERRED).exists()
        ):
            self.follow_at(track, "deferred", self.hours.later(now, rng.uniform(1.0, 6.0)))
        issued = [m for _pk, s, m in family if s == CaseStatus.ISSUED]
        if DeliveryMethod.PICKUP in issued:
            self.follow_at(track, "pickup", self.hours.later(now, rng.uniform(0.5, 5.0)))
        if DeliveryMethod.POST in issued:
            self.follow_at(track, "parcel", self.hours.later(now, rng.uniform(0.3, 1.2)))

    def _ratings_follow(self, track: Track) -> None:
        """A new invitation to rate (好差评): some applicants rate, a few of them badly."""
        stages = set(
            Invitation.objects.filter(case_id=track.case_id).values_list("stage", flat=True)
        )
        rng = track.plan.rng
        for stage in sorted(stages - track.invitations):
            track.invitations.add(stage)
            if rng.random() < mix.RATING_SHARE:
                when = self.hours.later(self.clock.at, rng.uniform(0.02, 2.0))
                self.at(when, "rate", (track, stage))

    def rate(self, payload: tuple[Track, str]) -> None:
        """The applicant rates a stage: at the window on the counter device, else online."""
        track, stage = payload
        plan, rng, now = track.plan, track.plan.rng, self.clock.at
        bad = rng.random() < mix.BAD_RATING_SHARE
        score = rng.choice((1, 2)) if bad else rng.choice((3, 4, 4, 5, 5, 5, 5))
        comment = rng.choice(BAD_COMMENTS if bad else GOOD_COMMENTS)
        case = Case.objects.select_related("department", "window_clerk").get(pk=track.case_id)
        if Evaluation.objects.filter(case=case, stage=stage).exists():
            return
        if plan.channel == "window":
            # On the counter device: the center clerk who accepted it hands the rating over.
            clerk = case.window_clerk or self._staff(case.department, "clerk")
            request = rating_request_open(actor=clerk, case=case, stage=stage, now=now)
            rating_request_rate(token=request.token, score=score, comment=comment, now=now)
        else:
            evaluation_create(
                actor=plan.person.user,
                case=case,
                score=score,
                stage=stage,
                comment=comment,
                channel=plan.channel,
                now=now,
            )
        self.follow(track)

    def _staff_delay(self, track: Track, task: Task) -> float:
        """Working days until the department acts on ``task`` (slow cases run over)."""
        plan, rng = track.plan, track.plan.rng
        matter = task.case.matter
        promised = max(int(matter.promised_limit_days or 0), 0) if matter else 1
        legal = max(int(matter.legal_limit_days or 0), 0) if matter else 1
        if task.kind == TaskKind.ACCEPT:
            if plan.slow and plan.slow_at_acceptance:
                return rng.uniform(5.5, 7.0)
            return rng.uniform(0.05, min(1.5, max(promised, 1) * 0.5))
        if task.kind == TaskKind.INSPECTION:
            return rng.uniform(3.0, 15.0)
        if task.kind == TaskKind.EVALUATION_FOLLOW_UP:
            # Answered within the 5 working days, now and then a little late.
            return rng.uniform(1.0, 5.5)
        if plan.slow and not plan.slow_at_acceptance:
            budget = max(promised, 1) * rng.uniform(1.3, 2.2) + rng.uniform(0, legal * 0.3)
        else:
            budget = max(promised, 0.5) * rng.uniform(0.25, 0.8)
        share = 0.6 if task.kind in (TaskKind.REVIEW, TaskKind.STRICT_REVIEW) else 0.35
        if task.kind == TaskKind.JOINT_REVIEW:
            share = 0.5
        return budget * share


def track_days(legal: int) -> int:
    """The extension an approver grants: a third of the legal limit, at least two days."""
    return max(2, legal // 3)


def _channels(channels: Any, *, outside: set[int]) -> tuple[str, ...]:
    """The channels the simulator uses: no window for a matter handled outside the center."""
    return tuple(c for c in channels if not (c == "window" and outside))


def _channel_draw(target: Target, rng: random.Random) -> str:
    shares = [(c, mix.CHANNEL_SHARES.get(c, 0.0)) for c in target.channels]
    total = sum(s for _c, s in shares)
    if total <= 0:
        return target.channels[0]
    pick = rng.random() * total
    for channel, share in shares:
        pick -= share
        if pick < 0:
            return channel
    return shares[-1][0]


def _walk_in_identity(plan: Plan) -> dict[str, Any]:
    """What the walk-in shows the clerk: their ID card, or the licence and the agent's ID."""
    person = plan.person.person
    who = {"id_number": person.id_number, "name": person.name, "mobile": person.phone}
    if plan.firm is None:
        return {"type": "person", **who}
    firm = plan.firm.enterprise
    return {"type": "enterprise", "uscc": firm.uscc, "name": firm.name, "agent": who}


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("材料.pdf", PDF_BYTES, content_type="application/pdf")


def _address(plan: Plan) -> dict[str, str]:
    person = plan.person.person
    return {
        "recipient": person.name,
        "phone": person.phone,
        "province": "上海市",
        "city": "上海市",
        "district": "嘉定区",
        "address": person.address.removeprefix("上海市嘉定区") or "嘉定镇街道城中路1号",
    }


def _supplement_items(case: Case) -> list[dict[str, str]]:
    """One uploaded material to supplement (补正), the one a clerk would find unreadable."""
    material = (
        case.materials.filter(status=MaterialStatus.PROVIDED, origin=MaterialOrigin.UPLOAD)
        .order_by("id")
        .first()
    )
    if material is None:
        return []
    return [{"kind": "material", "code": material.requirement_code, "reason": SUPPLEMENT_REASON}]


def _result(
    sim: Simulation, *, first_case: int, applications: int, seconds: float
) -> SimulationResult:
    roots = Case.objects.filter(pk__gt=first_case, parent__isnull=True)
    by_status: Counter[str] = Counter()
    by_target: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    for status, matter, theme, channel in roots.values_list(
        "status", "matter__code", "theme__code", "channel"
    ):
        by_status[status] += 1
        by_target[f"theme:{theme}" if theme else str(matter)] += 1
        by_channel[channel] += 1
    cases = Case.objects.filter(pk__gt=first_case)
    figures = {
        "cases_with_children": cases.count(),
        "supplement_requests": SupplementRequest.objects.filter(case__pk__gt=first_case).count(),
        "deferred_materials": CaseMaterial.objects.filter(
            case__pk__gt=first_case, deferred_until__isnull=False
        ).count(),
        "extensions": cases.filter(extension_days__gt=0).count(),
        "overdue": cases.filter(overdue_at__isnull=False).count(),
        "payments_paid": PaymentOrder.objects.filter(
            case__pk__gt=first_case, status=PaymentStatus.PAID
        ).count(),
        "parcels_delivered": DeliveryOrder.objects.filter(
            case__pk__gt=first_case, status=DeliveryStatus.DELIVERED
        ).count(),
        "pickups": cases.filter(
            delivery_method=DeliveryMethod.PICKUP, status=CaseStatus.COMPLETED
        ).count(),
        "output_window_hand_overs": Visit.objects.filter(
            case__pk__gt=first_case, kind=VisitKind.PICKUP, recorded_by__in=sim.output_clerks
        ).count(),
        "window_tickets_served": cases.filter(ticket__status=TicketStatus.DONE).count(),
        "ratings": Evaluation.objects.filter(case__pk__gt=first_case).count(),
        "bad_ratings": Evaluation.objects.filter(case__pk__gt=first_case, score__lte=2).count(),
        "bad_ratings_answered": Evaluation.objects.filter(
            case__pk__gt=first_case, score__lte=2, answered_at__isnull=False
        ).count(),
        "tasks_completed": Task.objects.filter(
            case__pk__gt=first_case, state=TaskState.COMPLETED
        ).count(),
    }
    return SimulationResult(
        applications=applications,
        seconds=seconds,
        first_day=sim.options.first_day,
        until=sim.options.until,
        by_status=by_status,
        by_target=by_target,
        by_channel=by_channel,
        figures=figures,
        errors=sim.errors,
    )


def simulate_run(options: SimulateOptions, *, out: Output | None = None) -> SimulationResult:
    """Generate ``options.cases`` applications over the period through the real services."""
    return Simulation(options, out=out).run()
