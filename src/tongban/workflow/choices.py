from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDayKind(models.TextChoices):
    """An exception to the Monday–Friday week, as the State Council publishes it."""

    HOLIDAY = "holiday", _("法定节假日（休息）")
    WORKDAY = "workday", _("调休上班日")


class DefinitionKind(models.TextChoices):
    """What a stored definition is: a BPMN process or a DMN decision table."""

    BPMN = "bpmn", _("流程（BPMN）")
    DMN = "dmn", _("决策表（DMN）")


class DefinitionStatus(models.TextChoices):
    """Where a version stands (四眼原则: uploaded by one center admin, approved by another).

    An upload that fails validation is refused and never stored; "superseded" is not a status
    but a later published version of the same name.
    """

    #: Passed validation (and the dry run ran): waiting for a second center admin.
    VALIDATED = "validated", _("待审批")
    #: New cases of this process start on the latest published version.
    PUBLISHED = "published", _("已发布")
    REJECTED = "rejected", _("已驳回")
