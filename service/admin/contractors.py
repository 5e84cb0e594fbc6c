"""Admin: contractor companies and people, and work orders with their updates."""

from django.contrib import admin

from service.models import ContractorCompany, ContractorProfile, WorkOrder, WorkOrderUpdate


class ContractorProfileInline(admin.TabularInline):
    model = ContractorProfile
    extra = 0
    raw_id_fields = ["user"]
    filter_horizontal = ["skills"]


@admin.register(ContractorCompany)
class ContractorCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "phone"]
    inlines = [ContractorProfileInline]


@admin.register(ContractorProfile)
class ContractorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "company"]
    list_filter = ["company", "skills"]
    list_select_related = ["user", "company"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "company__name"]
    raw_id_fields = ["user"]
    filter_horizontal = ["skills"]


class WorkOrderUpdateInline(admin.TabularInline):
    model = WorkOrderUpdate
    extra = 0
    fields = ["created_at", "author", "status", "note", "photo"]
    raw_id_fields = ["author"]


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["subject", "ticket", "contractor", "status", "scheduled_for", "created_at", "done_at"]
    list_filter = ["status"]
    list_select_related = ["ticket", "contractor"]
    search_fields = ["subject", "ticket__number", "contractor__username", "contact_name", "contact_phone"]
    date_hierarchy = "created_at"
    raw_id_fields = ["ticket", "contractor"]
    # Stamped by the services as the contractor acts.
    readonly_fields = ["accepted_at", "done_at", "created_by"]
    inlines = [WorkOrderUpdateInline]
