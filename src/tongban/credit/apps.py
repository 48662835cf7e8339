from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "tongban.credit"
    label = "credit"
    verbose_name = _("信用")

    def ready(self) -> None:
        # The credit status is itself a data resource (adapter "credit") of the exchange:
        # importing the provider registers it.
        from tongban.credit import provider  # noqa: F401
