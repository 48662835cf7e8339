from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "tongban.exchange"
    label = "exchange"
    verbose_name = _("数据共享交换")

    def ready(self) -> None:
        # Importing the built-in data providers registers them.
        from tongban.exchange.providers import elicence, http, local  # noqa: F401
