"""Admin pages: loyalty. The points ledger is read-only here as everywhere: entries are only
ever appended by the services."""

from django.contrib import admin

from marketing.models import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry


@admin.register(LoyaltySettings)
class LoyaltySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_active", "amount_per_point", "point_value", "expiry_months"]


@admin.register(LoyaltyTier)
class LoyaltyTierAdmin(admin.ModelAdmin):
    list_display = ["name", "threshold", "multiplier"]


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "group", "multiplier", "starts_on", "ends_on", "is_active"]
    list_filter = ["is_active"]


class PointsEntryInline(admin.TabularInline):
    model = PointsEntry
    fields = ["created_at", "kind", "points", "expires_at", "order", "amount", "note", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(admin.ModelAdmin):
    list_display = ["customer", "tier", "joined_at", "tier_changed_at"]
    list_filter = ["tier"]
    list_select_related = ["customer", "tier"]
    raw_id_fields = ["customer"]
    readonly_fields = ["customer", "tier", "joined_at", "tier_changed_at"]
    search_fields = ["customer__name", "customer__code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    inlines = [PointsEntryInline]


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """Read-only: no add, no change, no delete."""

    list_display = ["created_at", "account", "kind", "points", "expires_at", "order", "note"]
    list_filter = ["kind"]
    list_select_related = ["account", "order"]
    search_fields = ["key", "note"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
