"""The segment list's filters (django-filter)."""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from marketing.models import Segment


class SegmentFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Segment.Kind.choices, empty_label=_("Any kind"), label=_("Kind"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Segment
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(name__icontains=word)
        return queryset

    @property
    def is_filtering(self) -> bool:
        return self.is_bound and any(self.data.get(name) not in (None, "", "unknown") for name in self.filters)
