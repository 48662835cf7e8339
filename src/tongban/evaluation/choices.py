from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """The stages of a case that the applicant rates (一事一评: once per case and stage)."""

    #: After the acceptance decision: 受理 (or deemed accepted) or 不予受理.
    ACCEPTANCE = "acceptance", _("受理环节")
    #: After the result: 出证, 办结 or 不予许可.
    RESULT = "result", _("办结环节")


class Score(models.IntegerChoices):
    """The five grades of 政务服务"好差评"; 1 and 2 are a bad rating (差评)."""

    VERY_DISSATISFIED = 1, _("非常不满意")
    DISSATISFIED = 2, _("不满意")
    NEUTRAL = 3, _("一般")
    SATISFIED = 4, _("满意")
    VERY_SATISFIED = 5, _("非常满意")


class Dimension(models.TextChoices):
    """Optional aspects rated 1–5 beside the overall score."""

    EFFICIENCY = "efficiency", _("办事效率")
    ATTITUDE = "attitude", _("服务态度")
    CONVENIENCE = "convenience", _("办事便利")


class RatingChannel(models.TextChoices):
    """Where the rating was given (一次一评 at the window, 一事一评 online)."""

    ONLINE = "online", _("网上评价")
    MOBILE = "mobile", _("移动端评价")
    WINDOW = "window", _("窗口评价器")


class AppealKind(models.TextChoices):
    MISTAKEN = "mistaken", _("误评")
    ABUSIVE = "abusive", _("恶意差评")


class AppealState(models.TextChoices):
    OPEN = "open", _("待复核")
    UPHELD = "upheld", _("申诉成立")
    REFUSED = "refused", _("申诉不成立")


#: A score at or below this is a bad rating (差评), followed up by the department.
BAD_SCORE_MAX = 2
#: A score at or above this counts as satisfied (满意率).
SATISFIED_SCORE_MIN = 4
#: 差评回访整改: the department verifies, rectifies and answers within 5 working days.
FOLLOW_UP_WORKING_DAYS = 5
#: A window rating request (评价器) is valid this many minutes, once.
RATING_REQUEST_MINUTES = 15
