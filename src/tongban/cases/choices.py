from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class CaseStatus(models.TextChoices):
    """The statuses of CONTRACT.md; every change is a guarded transition in services."""

    DRAFT = "draft", _("草稿")
    #: 多方申请: submitted by one party, waiting for the others to confirm their part.
    AWAITING_PARTIES = "awaiting_parties", _("待其他当事人确认")
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    SUPPLEMENT_REQUIRED = "supplement_required", _("待补正")
    UNDER_REVIEW = "under_review", _("审查中")
    APPROVED = "approved", _("准予许可")
    REJECTED = "rejected", _("不予受理")
    DENIED = "denied", _("不予许可")
    ISSUED = "issued", _("已出证")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


#: Statuses after which nothing more happens to a case.
FINAL_STATUSES = frozenset(
    {
        CaseStatus.REJECTED,
        CaseStatus.DENIED,
        CaseStatus.COMPLETED,
        CaseStatus.WITHDRAWN,
    }
)
#: Statuses in which the applicant may still withdraw (no decision yet).
WITHDRAWABLE_STATUSES = frozenset(
    {
        CaseStatus.DRAFT,
        CaseStatus.AWAITING_PARTIES,
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.SUPPLEMENT_REQUIRED,
        CaseStatus.UNDER_REVIEW,
    }
)


class ApplicantType(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class MaterialStatus(models.TextChoices):
    MISSING = "missing", _("未提交")
    PROVIDED = "provided", _("已提交")
    VERIFIED = "verified", _("已核验")
    REJECTED = "rejected", _("不符合要求")
    DEFERRED = "deferred", _("容缺后补")


class MaterialOrigin(models.TextChoices):
    UPLOAD = "upload", _("申请人上传")
    SHARING = "sharing", _("数据共享")
    WINDOW = "window", _("窗口收取")
    GENERATED = "generated", _("系统生成")
    SIGNED = "signed", _("在线签署")


class TaskKind(models.TextChoices):
    """User tasks of the processes; each kind allows its own decisions."""

    ACCEPT = "accept", _("受理")
    REVIEW = "review", _("审查")
    #: 严格审查: the extra review step of the strict credit route.
    STRICT_REVIEW = "strict_review", _("重点审查")
    #: 联审: one reviewing department's opinion in a joint review.
    JOINT_REVIEW = "joint_review", _("联合审查")
    DECIDE = "decide", _("决定")
    #: 先证后查 / 事后核查: the supervisor's inspection after issue.
    INSPECTION = "inspection", _("事后核查")
    #: 好差评: the supervisor's follow-up of a bad rating (核实、整改、答复), outside the process.
    EVALUATION_FOLLOW_UP = "evaluation_follow_up", _("差评核实整改")


#: Task kinds with no process task behind them: the process mirroring leaves them alone.
OUT_OF_PROCESS_TASK_KINDS = frozenset({TaskKind.INSPECTION, TaskKind.EVALUATION_FOLLOW_UP})


class TaskState(models.TextChoices):
    OPEN = "open", _("待办")
    COMPLETED = "completed", _("已办")
    CANCELLED = "cancelled", _("已取消")


class Decision(models.TextChoices):
    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("不予受理")
    REQUEST_SUPPLEMENT = "request_supplement", _("一次性告知补正")
    PASS = "pass", _("审查通过")
    FAIL = "fail", _("审查不通过")
    APPROVE = "approve", _("准予许可")
    DENY = "deny", _("不予许可")
    #: 差评整改: verified, rectified where needed, and answered to the applicant.
    ANSWER = "answer", _("已核实整改并答复")


#: The decisions each task kind allows (CONTRACT.md).
DECISIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    TaskKind.ACCEPT: (Decision.ACCEPT, Decision.REJECT, Decision.REQUEST_SUPPLEMENT),
    TaskKind.REVIEW: (Decision.PASS, Decision.FAIL, Decision.REQUEST_SUPPLEMENT),
    TaskKind.STRICT_REVIEW: (Decision.PASS, Decision.FAIL, Decision.REQUEST_SUPPLEMENT),
    TaskKind.JOINT_REVIEW: (Decision.PASS, Decision.FAIL, Decision.REQUEST_SUPPLEMENT),
    TaskKind.DECIDE: (Decision.APPROVE, Decision.DENY),
    TaskKind.INSPECTION: (Decision.PASS, Decision.FAIL),
    TaskKind.EVALUATION_FOLLOW_UP: (Decision.ANSWER,),
}


class CreditRoute(models.TextChoices):
    """The route a credit DMN decision sends a case on (信用分级分类审批)."""

    COMMITMENT = "commitment", _("告知承诺")
    NORMAL = "normal", _("一般程序")
    STRICT = "strict", _("从严审查")
    REFUSED = "refused", _("不予受理（联合惩戒）")


class SlaState(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("临近到期")
    OVERDUE = "overdue", _("已超期")
    SUSPENDED = "suspended", _("计时暂停")


class SupplementState(models.TextChoices):
    OPEN = "open", _("待补正")
    ANSWERED = "answered", _("已补正")
    CANCELLED = "cancelled", _("已取消")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    #: Sent within another notice to the same person (``Notification.merged_into``).
    MERGED = "merged", _("已合并发送")


class TimelineAction(models.TextChoices):
    """What happened to a case, as its timeline records it (the step text says it in words)."""

    CREATED = "created", _("创建")
    WAITING = "waiting", _("等待前序事项")
    SHARED = "shared", _("数据共享")
    SHARING_FAILED = "sharing_failed", _("数据共享未成功")
    SUBMITTED = "submitted", _("提交申请")
    PARTIES_WAITING = "parties_waiting", _("等待其他当事人确认")
    PARTY_CONFIRMED = "party_confirmed", _("当事人确认")
    ROUTE = "route", _("信用审批路径")
    COMMITMENT_SIGNED = "commitment_signed", _("签署告知承诺书")
    DEFERRED = "deferred", _("容缺受理")
    ACCEPTED = "accepted", _("受理")
    DEEMED_ACCEPTED = "deemed_accepted", _("逾期视为受理")
    REJECTED = "rejected", _("不予受理")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("一次性告知补正")
    SUPPLEMENT_ANSWERED = "supplement_answered", _("申请人补正")
    REVIEW_PASS = "review_pass", _("审查通过")
    REVIEW_FAIL = "review_fail", _("审查不通过")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    EXTENDED = "extended", _("延期")
    WITHDRAWN = "withdrawn", _("申请人撤回")
    CHILD_STATUS = "child_status", _("子事项进展")
    PAYMENT_REQUIRED = "payment_required", _("待缴费")
    PAYMENT_WAITING = "payment_waiting", _("等待缴费")
    PAYMENT_FAILED = "payment_failed", _("缴费失败")
    PAID = "paid", _("已缴费")
    ISSUED = "issued", _("已出证")
    CERTIFICATE_REISSUED = "certificate_reissued", _("证照换发")
    DELIVERY_CHOSEN = "delivery_chosen", _("选择领证方式")
    SHIPPED = "shipped", _("已寄出")
    DELIVERED = "delivered", _("已签收")
    PICKUP_READY = "pickup_ready", _("待领取")
    PICKED_UP = "picked_up", _("已领取")
    COMPLETED = "completed", _("办结")
    INSPECTION_OPENED = "inspection_opened", _("待核查")
    INSPECTION_PASSED = "inspection_passed", _("核查通过")
    INSPECTION_FAILED = "inspection_failed", _("核查不通过")
    DEFERRAL_HELD = "deferral_held", _("证照待容缺材料补齐后发放")
    DEFERRAL_RECEIVED = "deferral_received", _("容缺材料已补交")
    DEFERRAL_REMINDER = "deferral_reminder", _("容缺材料补交提醒")
    DEFERRAL_DUE = "deferral_due", _("容缺材料今日到期")
    DEFERRAL_OVERDUE = "deferral_overdue", _("容缺材料已逾期")
    SLA_WARNING = "sla_warning", _("临近到期")
    SLA_OVERDUE = "sla_overdue", _("已超期")


class NotificationEvent(models.TextChoices):
    """What the applicant is told about (by email and SMS through the outbox)."""

    ACCEPTED = "accepted", _("已受理")
    REJECTED = "rejected", _("不予受理")
    SUPPLEMENT_REQUIRED = "supplement_required", _("需要补正")
    APPROVED = "approved", _("准予许可")
    DENIED = "denied", _("不予许可")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")
    PAYMENT_REQUIRED = "payment_required", _("待缴费")
    PAYMENT_FAILED = "payment_failed", _("缴费失败")
    ISSUED = "issued", _("已出证")
    DEFERRAL_REMINDER = "deferral_reminder", _("容缺材料补交提醒")
    DEFERRAL_OVERDUE = "deferral_overdue", _("容缺材料已逾期")
    #: 好差评: the applicant is invited to rate a stage (受理 or 办结) of the case.
    EVALUATION_INVITED = "evaluation_invited", _("邀请评价")
    #: 差评整改: the department's answer to the applicant's bad rating.
    EVALUATION_ANSWERED = "evaluation_answered", _("差评答复")


# Texts stored in Chinese and read back in either language (tongban.core.i18n.stored_text).
#: Timeline steps written from a message with values.
TIMELINE_STEPS_WITH_VALUES = (
    gettext_noop("审批路径：%(route)s（%(reason)s）"),
    gettext_noop("已寄出（运单号%(no)s）"),
)
#: The reasons credit_route.dmn gives (the analyst edits them in the table; keep the two alike).
CREDIT_ROUTE_REASONS = (
    gettext_noop("列入失信联合惩戒黑名单"),
    gettext_noop("信用等级D级"),
    gettext_noop("列入重点关注名单"),
    gettext_noop("守信红名单"),
    gettext_noop("信用等级A级"),
    gettext_noop("信用等级B级"),
    gettext_noop("无不良信用记录"),
    gettext_noop("事项不适用告知承诺"),
    gettext_noop("信用状况不符合告知承诺条件"),
)
#: Route reasons written from a message with values.
ROUTE_REASONS_WITH_VALUES = (gettext_noop("%(reason)s，依据%(bases)s实施联合惩戒"),)
#: The data-sharing note of a case's timeline (cases.services.sharing), parts joined by "；".
SHARING_NOTES_WITH_VALUES = (
    gettext_noop("已通过数据共享获取 %(n)s 项材料，无需提交：%(names)s"),
    gettext_noop("已预填 %(n)s 项申请信息"),
    gettext_noop("%(n)s 项材料暂无法共享，请上传：%(names)s"),
)
#: Every stored timeline comment made from a message with values.
TIMELINE_COMMENTS_WITH_VALUES = ROUTE_REASONS_WITH_VALUES + SHARING_NOTES_WITH_VALUES
