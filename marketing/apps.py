from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        # Admin pages and 360° panels register themselves; listeners connect to crm_site.events.
        from marketing import admin, listeners, panels  # noqa: F401
