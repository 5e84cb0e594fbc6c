"""Admin: activities (calls, meetings, tasks) and their reminders."""

from django.contrib import admin

from sales.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "status", "due_at", "assignee", "customer", "remind_at", "reminder_sent_at"]
    list_filter = ["status", "kind", ("reminder_sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["assignee", "customer"]
    search_fields = ["subject", "assignee__username", "customer__name", "customer__code"]
    date_hierarchy = "due_at"
    raw_id_fields = ["assignee", "customer", "lead", "opportunity", "follow_up_of"]
    # Written by the services and the reminder job, not by hand.
    readonly_fields = ["reminder_sent_at", "interaction", "created_by", "created_at", "updated_at", "done_at"]
