from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "tongban.credit"
    label = "credit"
    verbose_name = _("信用")

    def ready(self) -> None:
        from tongban.credit.provider import CreditProvider
        from tongban.exchange.providers import provider_register

        # The credit status is itself a data resource (adapter "credit") of the exchange.
        provider_register("credit", CreditProvider)
