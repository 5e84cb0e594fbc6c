"""Filters of the report lists (django-filter), and the switches of the report pages (measure,
period, ranking) as small forms: a value that does not validate gets a message on the page and
the default takes its place."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from analytics.models import AnalyticsSettings, CustomerValue, ProductPair
from analytics.selectors.reports.basket import pair_sort
from analytics.selectors.reports.churn import DEFAULT_LOST_PERIOD, LOST_PERIOD_CHOICES
from analytics.selectors.reports.pareto import PERIOD_ALL, PERIOD_RECENT
from analytics.selectors.reports.value import RANK_CHOICES, RANK_HISTORIC, value_rank
from crm_site.filters import StyledFilterSet
from crm_site.models import User
from customers.models import CustomerGroup, CustomerStats
from customers.selectors import in_group_subtree


class KeyCustomerFilter(StyledFilterSet):
    """Group (with its sub-groups), for lists of rows keyed by customer (CustomerValue and
    CustomerStats, whose primary key is the customer's)."""

    group = django_filters.ModelChoiceFilter(
        queryset=CustomerGroup.objects.all(), method="filter_group", label=_("Group (with sub-groups)")
    )

    class Meta:
        model = CustomerValue
        fields: list[str] = []

    def filter_group(self, queryset: QuerySet, name: str, value: CustomerGroup) -> QuerySet:
        # in_group_subtree matches on the row's pk, which is the customer's id here.
        return queryset.filter(in_group_subtree(value))


class CustomerFiguresFilter(KeyCustomerFilter):
    """Group and owner."""

    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        field_name="customer__owner",
        label=_("Owner"),
        empty_label=_("Any owner"),
    )


class ValueFilter(CustomerFiguresFilter):
    pareto_class = django_filters.ChoiceFilter(
        choices=CustomerStats.ParetoClass.choices,
        field_name="customer__stats__pareto_class",
        label=_("Pareto class"),
        empty_label=_("Any class"),
    )
    rfm_segment = django_filters.ChoiceFilter(
        choices=CustomerStats.RfmSegment.choices,
        field_name="customer__stats__rfm_segment",
        label=_("RFM segment"),
        empty_label=_("Any segment"),
    )
    rank = django_filters.ChoiceFilter(choices=RANK_CHOICES, method="filter_rank", label=_("Rank by"), empty_label=None)

    class Meta:
        model = CustomerValue
        fields: list[str] = []

    def filter_rank(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return value_rank(queryset, value or RANK_HISTORIC)


class StatsFilter(CustomerFiguresFilter):
    """A segment's customers and the call list (rows of CustomerStats)."""

    class Meta:
        model = CustomerStats
        fields: list[str] = []


class PairFilter(StyledFilterSet):
    product = django_filters.CharFilter(method="filter_product", label=_("Product (name or SKU)"))
    min_orders = django_filters.NumberFilter(
        field_name="orders", lookup_expr="gte", label=_("Minimum orders together"), min_value=1
    )
    min_support = django_filters.NumberFilter(
        method="filter_min_support", label=_("Minimum support (%)"), min_value=0, max_value=100
    )
    sort = django_filters.ChoiceFilter(
        choices=[
            ("lift", _("Lift")),
            ("confidence", _("Confidence")),
            ("support", _("Support")),
            ("orders", _("Orders together")),
        ],
        method="filter_sort",
        label=_("Sort by"),
        empty_label=None,
    )

    class Meta:
        model = ProductPair
        fields: list[str] = []

    def filter_product(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(product__name__icontains=value) | Q(product__sku__iexact=value))

    def filter_min_support(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(support__gte=float(value) / 100)

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return pair_sort(queryset, value)


# --- the switches of a page --------------------------------------------------------------------


class ParetoOptionsForm(forms.Form):
    measure = forms.ChoiceField(choices=AnalyticsSettings.ParetoMeasure.choices, required=False)
    period = forms.ChoiceField(required=False)

    def __init__(self, *args, months: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(PERIOD_ALL, _("Whole history"))]
        if months:
            recent = ngettext_lazy("Last %(months)d month", "Last %(months)d months", months) % {"months": months}
            choices.insert(0, (PERIOD_RECENT, recent))
        self.fields["period"].choices = choices


class ChurnOptionsForm(forms.Form):
    period = forms.ChoiceField(choices=LOST_PERIOD_CHOICES, required=False)


def page_options(form: forms.Form, defaults: dict[str, str]) -> dict[str, str]:
    """The form's valid values, with the default for each missing or invalid one."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return {name: cleaned.get(name) or default for name, default in defaults.items()}


CHURN_DEFAULTS = {"period": DEFAULT_LOST_PERIOD}
