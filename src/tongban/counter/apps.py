from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "tongban.counter"
    label = "counter"
    verbose_name = _("服务中心窗口")
