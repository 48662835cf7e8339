from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "tongban.sandbox"
    label = "sandbox"
    verbose_name = _("沙箱")
