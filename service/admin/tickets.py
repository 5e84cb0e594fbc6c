"""Admin: tickets with their conversation, history and hand-overs (read-only: they are written
by the services, which keep the deadlines, counters and timeline right), categories and skills."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from service.models import Skill, Ticket, TicketAttachment, TicketCategory, TicketEvent, TicketMessage, TicketTransfer
from service.services.setup import category_save


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketMessageInline(ReadOnlyInline):
    model = TicketMessage
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = fields


class TicketAttachmentInline(ReadOnlyInline):
    model = TicketAttachment
    fields = ("created_at", "name", "content_type", "size", "is_public", "uploaded_by")
    readonly_fields = fields


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "kind", "old_value", "new_value", "note", "user")
    readonly_fields = fields


class TicketTransferInline(ReadOnlyInline):
    model = TicketTransfer
    fields = ("created_at", "from_user", "to_user", "by", "reason")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    list_display = ("number", "subject", "customer", "kind", "status", "priority", "owner", "handoffs", "created_at")
    list_filter = ("status", "kind", "priority", "channel", "team")
    search_fields = ("number", "subject", "customer__name")
    list_select_related = ("customer", "owner")
    raw_id_fields = ("customer", "order", "product", "owner")
    date_hierarchy = "created_at"
    # Status, deadlines and counters move only through the services (the workflow, the SLA clock).
    readonly_fields = (
        "number",
        "status",
        "team",
        "assignment_rule",
        "handoffs",
        "handoffs_flagged_at",
        "sla_policy",
        "first_response_due_at",
        "resolution_due_at",
        "sla_paused_at",
        "first_response_breached_at",
        "resolution_breached_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "reopened",
        "created_at",
    )
    inlines = [TicketMessageInline, TicketAttachmentInline, TicketTransferInline, TicketEventInline]

    def has_add_permission(self, request):
        # A ticket needs its number, deadlines, owner and timeline entry: open it on the service pages.
        return False


@admin.register(TicketCategory)
class TicketCategoryAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "skill", "is_active", "path")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):
        category_save(category=obj)  # keeps the materialised paths of the subtree right


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    filter_horizontal = ("agents",)
