"""The knowledge base list's search box and category filter (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.text import search_key
from service.models import KnowledgeArticle, TicketCategory


def words_condition(query: str) -> Q:
    """Every word of ``query`` must appear in the normalised ``search_text``."""
    condition = Q()
    for word in search_key(query).split():
        condition &= Q(search_text__contains=word)
    return condition


class KnowledgeFilter(StyledFilterSet):
    """Used for both articles and canned replies: they share ``search_text`` and ``category``."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    category = django_filters.ModelChoiceFilter(
        queryset=TicketCategory.objects.order_by("path"), method="filter_category", label=_("Category")
    )

    class Meta:
        model = KnowledgeArticle
        fields = ["q", "category"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(words_condition(value)) if value.strip() else queryset

    def filter_category(self, queryset, name, value):
        # A category reaches the answers filed under its sub-categories too.
        return queryset.filter(category__path__startswith=value.path) if value else queryset
