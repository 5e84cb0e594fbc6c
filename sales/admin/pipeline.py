"""Admin: pipelines, stages, loss reasons and opportunities (for support; reps use the app)."""

from django.contrib import admin

from crm_site.audit import AuditedAdmin
from sales.models import BuyingRole, LossReason, Opportunity, OpportunityLine, Pipeline, Stage, StageChange


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "name", "kind", "probability", "rot_days"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "kind", "probability", "rot_days"]
    list_filter = ["pipeline", "kind"]
    list_select_related = ["pipeline"]
    search_fields = ["name"]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class OpportunityLineInline(admin.TabularInline):
    model = OpportunityLine
    extra = 0
    raw_id_fields = ["product"]


class BuyingRoleInline(admin.TabularInline):
    model = BuyingRole
    extra = 0
    raw_id_fields = ["contact"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    fields = ["changed_at", "from_stage", "to_stage", "changed_by", "seconds_in_previous"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Opportunity)
class OpportunityAdmin(AuditedAdmin):
    list_display = ["name", "customer", "pipeline", "stage", "status", "amount", "expected_close_date", "owner"]
    list_filter = ["status", "pipeline", "stage", "team", "method"]
    list_select_related = ["customer", "pipeline", "stage", "owner"]
    search_fields = ["name", "customer__name", "customer__code"]
    date_hierarchy = "created_at"
    raw_id_fields = ["customer", "owner", "source"]
    # The stage and status change through the app's move, which records the history.
    readonly_fields = [
        "pipeline",
        "stage",
        "status",
        "closed_at",
        "stage_entered_at",
        "last_activity_at",
        "rot_notified_at",
        "created_at",
        "updated_at",
    ]
    inlines = [OpportunityLineInline, BuyingRoleInline, StageChangeInline]

    def has_add_permission(self, request) -> bool:
        return False
