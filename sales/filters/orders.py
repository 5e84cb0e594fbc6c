"""The filters of the quote, order and invoice lists (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.models import User
from crm_site.text import search_key
from sales.models import Invoice, Order, Quote
from sales.selectors.orders import document_owner_choices


def _sales_people(request=None):
    """Only the owners the user's scope reaches: a rep is not shown the whole sales force."""
    if request is None:
        return User.objects.none()
    return document_owner_choices(user=request.user)


class DocumentFilter(StyledFilterSet):
    """Search by number or customer name, then status, owner and a date range."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(queryset=_sales_people, label=_("Owner"), empty_label=_("Anyone"))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        condition = Q(number__icontains=value)
        words = search_key(value).split()
        if words:
            name_condition = Q()
            for word in words:
                name_condition &= Q(customer__name_key__contains=word)
            condition |= name_condition
        return queryset.filter(condition)


def _date_range(field_name: str, label):
    return django_filters.DateFromToRangeFilter(
        field_name=field_name, label=label, widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )


class QuoteFilter(DocumentFilter):
    status = django_filters.ChoiceFilter(choices=Quote.Status.choices, empty_label=_("Any status"))
    issued = _date_range("issued_on", _("Dated between"))

    class Meta:
        model = Quote
        fields: list[str] = []


class OrderFilter(DocumentFilter):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices, empty_label=_("Any status"))
    ordered = _date_range("ordered_at__date", _("Ordered between"))
    unpaid = django_filters.BooleanFilter(
        field_name="paid_at", lookup_expr="isnull", label=_("Not paid yet"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_queryset(self, queryset):
        # An unticked box means "any", not "paid only".
        if not self.form.cleaned_data.get("unpaid"):
            self.form.cleaned_data["unpaid"] = None
        return super().filter_queryset(queryset)


class InvoiceFilter(DocumentFilter):
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices, empty_label=_("Any status"))
    issued = _date_range("issued_on", _("Dated between"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"), widget=forms.CheckboxInput)

    class Meta:
        model = Invoice
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(
            status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID], due_on__lt=timezone.localdate()
        )
