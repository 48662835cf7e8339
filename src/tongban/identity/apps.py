from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "tongban.identity"
    label = "identity"
    verbose_name = _("身份与账号")

    def ready(self) -> None:
        from tongban.core.periodic import register_periodic

        # One-time code rows hold a name and ID number: none is kept longer than a day.
        register_periodic(
            "phone-code-purge",
            every_seconds=3600,
            callable_path="tongban.identity.services_accounts.phone_codes_purge",
        )
