from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from crm_site.messaging.quiet import register_quiet_hours
        from sales import panels  # noqa: F401  (registers the sales panels of the 360° page)
        from sales.quiet_hours import customer_messages_quiet

        # Marketing messages already queued wait for the morning too (see crm_site/messaging/quiet.py).
        register_quiet_hours("sales", customer_messages_quiet)
