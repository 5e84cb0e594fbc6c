"""Admin: the sales settings (one row) and the satisfaction survey answers (read-only)."""

from django.contrib import admin

from sales.forms.aftersale import SalesSettingsForm
from sales.models import SalesSettings, SurveyInvitation


@admin.register(SalesSettings)
class SalesSettingsAdmin(admin.ModelAdmin):
    """A singleton: the row is made on first use (``SalesSettings.load``); it is edited, never
    added twice nor deleted. The form checks the templates' placeholders like the setup page."""

    form = SalesSettingsForm
    fieldsets = [
        (None, {"fields": ["thank_you_enabled", "thank_you_trigger", "thank_you_delay_minutes", "thank_you_template"]}),
        (None, {"fields": ["survey_enabled", "survey_delay_days", "survey_template"]}),
        (None, {"fields": ["quiet_hours_start", "quiet_hours_end", "rot_reminder_days"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not SalesSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    """Answers come from customers through their link; the admin only reads them."""

    list_display = ["order", "customer", "created_at", "answered_at", "score"]
    list_filter = ["score", ("answered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order", "customer"]
    search_fields = ["order__number", "customer__name", "customer__code"]
    date_hierarchy = "created_at"
    fields = ["order", "customer", "created_at", "answered_at", "score", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
