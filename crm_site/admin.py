from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from crm_site.audit import AuditedAdmin
from crm_site.messaging.services import outbox_retry_failed
from crm_site.models import DataJob, Heartbeat, Notification, OutboxMessage, Suppression, Team, User

admin.site.site_header = _("CRM administration")
admin.site.site_title = _("CRM administration")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "team", "is_active", "is_staff"]
    list_filter = ["team", "groups", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["team"]
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("CRM"), {"fields": ["team", "phone"]}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("CRM"), {"fields": ["team", "groups"]}))


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "manager"]
    list_select_related = ["manager"]
    search_fields = ["name"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "purpose", "recipient", "status", "attempts", "sent_at", "error_short"]
    list_filter = ["status", "channel", "purpose"]
    search_fields = ["recipient", "idempotency_key", "provider_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OutboxMessage._meta.fields if field.name != "id"]
    actions = ["retry_now"]

    @admin.display(description=_("last error"))
    def error_short(self, message: OutboxMessage) -> str:
        return message.error[:80]

    def has_add_permission(self, request) -> bool:
        return False  # messages enter the outbox through message_enqueue only

    @admin.action(description=_("Retry the selected failed messages"))
    def retry_now(self, request, queryset):
        count = outbox_retry_failed(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)d messages queued again.") % {"count": count})


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["address", "channel", "reason", "created_at"]
    list_filter = ["channel"]
    search_fields = ["address"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "title", "read_at"]
    list_select_related = ["recipient"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "beat_at"]


@admin.register(DataJob)
class DataJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "status", "progress_done", "progress_total", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["user"]
    search_fields = ["input_name", "user__username"]
    readonly_fields = [field.name for field in DataJob._meta.fields if field.name != "id"]
