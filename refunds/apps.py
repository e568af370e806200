from django.apps import AppConfig


class RefundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "refunds"
    verbose_name = "Refunds"

    def ready(self):
        # Stripe's refund events reach billing's webhook; billing hands them up to us.
        from billing.audit import audit_check_register
        from billing.webhook_handlers import stripe_event_handler_register

        from . import services
        from .audit import refunds_audit

        audit_check_register(refunds_audit)

        for event_type in services.STRIPE_REFUND_EVENTS:
            stripe_event_handler_register(event_type, services.refund_stripe_event_apply)

        # The staff dashboard on the admin home: accounts offers the registry.
        from . import dashboard

        dashboard.register()
