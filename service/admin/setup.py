"""The service setup in the Django admin: assignment rules, service-level policies, calendars
(with their working hours and holidays), the settings row, canned replies and articles.

Saves go through the same services as the setup pages, so the admin keeps the same rules
(placeholders checked, search text kept up to date, one default calendar)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from service.models import (
    AssignmentRule,
    BusinessCalendar,
    CannedReply,
    Holiday,
    KnowledgeArticle,
    ServiceSettings,
    SlaPolicy,
    WorkingPeriod,
)
from service.services.knowledge import canned_reply_save, knowledge_article_save


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "method", "category", "team", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "method"]
    list_select_related = ["category", "team"]
    autocomplete_fields = ["users"]
    search_fields = ["name"]
    readonly_fields = ["last_assigned"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "priority", "category", "customer_group", "first_response_minutes"]
    list_display += ["resolution_minutes", "calendar", "is_active"]
    list_filter = ["is_active", "calendar"]
    list_select_related = ["category", "customer_group", "calendar"]
    search_fields = ["name"]


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "is_default"]
    inlines = [WorkingPeriodInline, HolidayInline]


@admin.register(ServiceSettings)
class ServiceSettingsAdmin(admin.ModelAdmin):
    """One row (pk 1): it cannot be added twice or deleted."""

    def has_add_permission(self, request) -> bool:
        return not ServiceSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ServiceSaveMixin:
    """Save through the service; its errors are reported rather than raised."""

    def save_with(self, request, obj, save) -> None:
        try:
            save(obj, request.user)
        except ValidationError as error:
            self.message_user(request, _("Not saved: %(errors)s") % {"errors": " ".join(error.messages)}, "error")


@admin.register(CannedReply)
class CannedReplyAdmin(_ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["title", "category", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["category"]
    search_fields = ["title", "search_text"]

    def save_model(self, request, obj, form, change) -> None:
        self.save_with(request, obj, lambda obj, user: canned_reply_save(reply=obj, by=user))


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(_ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["title", "category", "is_published", "updated_at"]
    list_filter = ["is_published"]
    list_select_related = ["category"]
    search_fields = ["title", "search_text"]

    def save_model(self, request, obj, form, change) -> None:
        self.save_with(request, obj, lambda obj, user: knowledge_article_save(article=obj, by=user))
