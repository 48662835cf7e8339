from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tongban.demo"
    label = "demo"
    verbose_name = "演示数据"

    def ready(self) -> None:
        # Core refuses a production start on what apps register; it never imports the demo.
        from tongban.core.production import production_check_register
        from tongban.demo.accounts import demo_accounts_problems

        production_check_register(demo_accounts_problems)
