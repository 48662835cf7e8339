from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "tongban.payments"
    label = "payments"
    verbose_name = _("缴费")

    def ready(self) -> None:
        # Imported here: the models are ready only now.
        from django.conf import settings

        from tongban.core.periodic import register_periodic

        # Pending orders: a callback lost while no web process ran is applied from the
        # provider's answer, and an order unpaid past its time expires (pay again).
        register_periodic(
            "payments-sweep",
            every_seconds=settings.PAYMENT_SWEEP_SECONDS,
            callable_path="tongban.payments.services.payment_orders_sweep_periodic",
        )
