from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        # The staff dashboard on the admin home: accounts offers the registry, we add our panel.
        from . import dashboard

        dashboard.register()
