"""The product list's filters: search box, category (with its sub-categories), brand, active."""

import django_filters
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.text import search_key
from sales.models import Product, ProductCategory


class _IndentedCategoryField(ModelChoiceField):
    def label_from_instance(self, obj: ProductCategory) -> str:
        return obj.indented_name


class _CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = _IndentedCategoryField


def brand_choices() -> list[tuple[str, str]]:
    """The brands in the catalogue (one indexed DISTINCT query, when the form is drawn)."""
    brands = Product.objects.exclude(brand="").order_by("brand").values_list("brand", flat=True).distinct()
    return [(brand, brand) for brand in brands]


class ProductFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    category = _CategoryFilter(
        queryset=ProductCategory.objects.order_by("path"),
        method="filter_category",
        label=_("Category (with sub-categories)"),
        empty_label=_("Any category"),
    )
    brand = django_filters.ChoiceFilter(choices=[], empty_label=_("Any brand"))
    active = django_filters.ChoiceFilter(
        choices=[("true", _("Active only")), ("false", _("Inactive only"))],
        empty_label=_("Active or not"),
        method="filter_active",
        label=_("Status"),
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["brand"].extra["choices"] = brand_choices()

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for word in search_key(value).split():
            condition &= Q(search_text__contains=word)
        return queryset.filter(condition)

    def filter_active(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(is_active=value == "true")

    def filter_category(self, queryset: QuerySet, name: str, value: ProductCategory) -> QuerySet:
        # The materialised path makes "this category and everything under it" one prefix match.
        return queryset.filter(category__path__startswith=value.path)
