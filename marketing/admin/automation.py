"""Admin pages: automation. Rules are edited on the marketing pages (which check the conditions
and actions); here they can be listed, switched on or off, and their firings read."""

from django.contrib import admin

from marketing.models import AutomationRule, RuleFiring


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "event", "is_active", "created_by", "updated_at"]
    list_filter = ["event", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["event", "event_params", "conditions", "actions", "created_by", "created_at", "updated_at"]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ["fired_at", "rule", "customer", "occurrence_key", "status"]
    list_filter = ["status", "rule"]
    list_select_related = ["rule", "customer"]
    raw_id_fields = ["customer"]
    search_fields = ["occurrence_key"]
    date_hierarchy = "fired_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
