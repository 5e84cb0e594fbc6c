"""Admin: leads, their hand-overs, and the rules and lists that steer them."""

from django.contrib import admin

from crm_site.audit import AuditedAdmin
from sales.models import AssignmentRule, DisqualifyReason, Lead, LeadAssignment, ScoringRule


class LeadAssignmentInline(admin.TabularInline):
    model = LeadAssignment
    extra = 0
    can_delete = False
    fields = ["assigned_at", "from_user", "to_user", "rule", "assigned_by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # history is written by the services


@admin.register(Lead)
class LeadAdmin(AuditedAdmin):
    list_display = ["name", "company", "phone", "email", "status", "score", "source", "owner", "channel", "created_at"]
    list_filter = ["status", "channel", "source", "province", "team"]
    list_select_related = ["owner", "source"]
    search_fields = ["name", "company", "phone", "email"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "customer", "opportunity", "assignment_rule"]
    readonly_fields = ["score", "created_at", "updated_at", "converted_at"]
    inlines = [LeadAssignmentInline]


@admin.register(LeadAssignment)
class LeadAssignmentAdmin(admin.ModelAdmin):
    list_display = ["lead", "from_user", "to_user", "rule", "assigned_by", "assigned_at"]
    list_select_related = ["lead", "from_user", "to_user", "rule", "assigned_by"]
    raw_id_fields = ["lead", "from_user", "to_user", "assigned_by"]
    date_hierarchy = "assigned_at"


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "is_active", "method", "team"]
    list_editable = ["priority", "is_active"]
    list_filter = ["is_active", "method"]
    filter_horizontal = ["sources", "users"]


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "criterion", "source", "province", "threshold", "points", "is_active"]
    list_filter = ["criterion", "is_active"]


@admin.register(DisqualifyReason)
class DisqualifyReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name"]
