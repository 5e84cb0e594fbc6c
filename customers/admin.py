from django.contrib import admin

from crm_site.audit import AuditedAdmin
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerGroup,
    CustomerMerge,
    CustomerPhone,
    CustomerStats,
    ImportMapping,
    Interaction,
    Interest,
    Source,
    Tag,
)
from customers.services import group_save


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 0


class CustomerEmailInline(admin.TabularInline):
    model = CustomerEmail
    extra = 0


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "status", "phone", "email", "city", "owner", "team", "created_at"]
    list_filter = ["status", "kind", "province", "source", "team", "sms_consent", "email_consent", "groups"]
    list_select_related = ["owner", "team"]
    search_fields = ["code", "name", "phone", "email", "search_text"]
    date_hierarchy = "created_at"
    raw_id_fields = ["organisation", "owner", "created_by"]
    autocomplete_fields = ["groups", "tags", "interests"]
    readonly_fields = ["search_text", "name_key", "created_at", "updated_at"]
    inlines = [CustomerPhoneInline, CustomerEmailInline]


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "path", "depth"]
    search_fields = ["name"]
    readonly_fields = ["path", "depth"]

    def save_model(self, request, obj, form, change):
        group_save(group=obj)  # keeps the materialised paths right


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color"]
    search_fields = ["name"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "is_active"]
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "customer", "kind", "subject", "user"]
    list_filter = ["kind", "direction", "outcome"]
    list_select_related = ["customer", "user"]
    search_fields = ["subject", "body", "customer__name", "customer__code"]
    raw_id_fields = ["customer", "user"]
    date_hierarchy = "occurred_at"


@admin.register(CustomerStats)
class CustomerStatsAdmin(admin.ModelAdmin):
    list_display = ["customer", "frequency", "monetary", "clv_historic", "pareto_class", "rfm_segment", "churn_risk"]
    list_filter = ["pareto_class", "rfm_segment"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    search_fields = ["customer__name", "customer__code"]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ["merged_at", "merged_code", "merged_name", "survivor", "merged_by"]
    list_select_related = ["survivor", "merged_by"]
    search_fields = ["merged_code", "merged_name", "survivor__name"]
    readonly_fields = ["survivor", "merged_code", "merged_name", "merged_data", "moved", "merged_by", "merged_at"]


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["user", "headers_hash", "updated_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "headers_hash", "columns", "updated_at"]
