"""Writing what the analytics figures assume: the settings row and the ticket costs."""

from django.db import transaction

from analytics.forms import AnalyticsSettingsForm, TicketCostFormSet


def analytics_settings_save(*, form: AnalyticsSettingsForm, formset: TicketCostFormSet) -> None:
    """Save the settings and the ticket cost rows together, or nothing (both already validated).
    Raises IntegrityError when a concurrent save took the same category and priority."""
    with transaction.atomic():
        form.save()
        formset.save()
