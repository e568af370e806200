from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Providers"

    def ready(self):
        # The staff dashboard on the admin home: accounts offers the registry, we add our panel.
        from . import dashboard

        dashboard.register()
