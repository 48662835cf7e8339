from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "tongban.evaluation"
    label = "evaluation"
    verbose_name = _("好差评")

    def ready(self) -> None:
        # Imported here: the models are ready only now.
        from tongban.cases.choices import TaskKind
        from tongban.cases.hooks import case_event
        from tongban.cases.services.decide import OUT_OF_PROCESS_HANDLERS
        from tongban.evaluation import services

        # Invite the applicant when a stage that counts happens (inside the step's transaction).
        case_event.connect(services.case_event_received)
        # cases completes the bad rating's follow-up task through us without importing us.
        OUT_OF_PROCESS_HANDLERS[TaskKind.EVALUATION_FOLLOW_UP] = services.follow_up_complete
