from django.apps import AppConfig


class DisputesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "disputes"
    verbose_name = "Disputes"

    def ready(self):
        # The staff dashboard on the admin home: accounts offers the registry, we add our panel.
        from . import dashboard

        dashboard.register()
