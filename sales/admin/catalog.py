"""Admin: catalog. Saves go through the services, which keep search_text and category paths right."""

from django.contrib import admin

from crm_site.audit import AuditedAdmin
from sales.models import GroupProductPopularity, Product, ProductAffinity, ProductCategory
from sales.services.catalog import category_save, product_save


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "parent", "path", "depth"]
    search_fields = ["name"]
    list_filter = ["depth"]
    readonly_fields = ["path", "depth"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        category_save(category=obj)  # keeps the materialised paths of its sub-tree right


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ["sku", "name", "category", "brand", "colour", "size", "list_price", "unit_cost", "is_active"]
    list_filter = ["is_active", "category", "brand"]
    search_fields = ["sku", "name", "brand"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        product_save(product=obj)  # normalises the text and keeps search_text in step


@admin.register(ProductAffinity)
class ProductAffinityAdmin(admin.ModelAdmin):
    """Read-only: the nightly job rewrites these rows."""

    list_display = ["product", "other", "orders"]
    list_select_related = ["product", "other"]
    search_fields = ["product__sku", "product__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GroupProductPopularity)
class GroupProductPopularityAdmin(admin.ModelAdmin):
    """Read-only: the nightly job rewrites these rows."""

    list_display = ["group", "product", "customers"]
    list_select_related = ["group", "product"]
    list_filter = ["group"]
    search_fields = ["product__sku", "product__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
