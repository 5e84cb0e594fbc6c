"""Admin: the analytics settings (one row) and the ticket costs; the runs and report snapshots,
written by the computation, are read-only."""

from django.contrib import admin

from analytics.forms import AnalyticsSettingsForm
from analytics.models import AnalyticsSettings, ComputeRun, ReportSnapshot, TicketCost


@admin.register(AnalyticsSettings)
class AnalyticsSettingsAdmin(admin.ModelAdmin):
    """A singleton: made on first use (``AnalyticsSettings.load``), edited, never added twice nor
    deleted. The same form and bounds as the settings page."""

    form = AnalyticsSettingsForm
    fieldsets = [
        (None, {"fields": ["annual_discount_rate", "horizon_months", "inactive_days"]}),
        (None, {"fields": ["cost_per_order", "cost_per_activity", "cost_per_message"]}),
        (None, {"fields": ["pareto_measure", "pareto_months"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not AnalyticsSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TicketCost)
class TicketCostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cost_per_ticket", "cost_per_hour"]
    list_select_related = ["category"]
    list_filter = ["priority"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the computation writes: looked at, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ComputeRun)
class ComputeRunAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "status", "requested_by", "started_at", "finished_at", "progress", "step"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    date_hierarchy = "created_at"
    fields = [
        "status",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "progress",
        "step",
        "steps",
        "summary",
        "error",
    ]
    readonly_fields = fields


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(_ReadOnlyAdmin):
    list_display = ["kind", "variant", "computed_at"]
    list_filter = ["kind"]
    search_fields = ["kind", "variant"]
    fields = ["kind", "variant", "computed_at", "data"]
    readonly_fields = fields
