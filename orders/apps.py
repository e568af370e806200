from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        # The staff dashboard on the admin home: accounts offers the registry, we add our panels.
        from . import dashboard

        dashboard.register()
