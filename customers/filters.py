"""The customer list's filters, search box and sort order (django-filter)."""

import re

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from crm_site.models import Team, User
from crm_site.text import normalize_digits, search_key
from customers.geography import Province
from customers.models import Customer, CustomerGroup, Interest, Source, Tag
from customers.selectors import in_group_subtree

_PHONE_PUNCTUATION = re.compile(r"[\s\-().+]")


def search_condition(query: str) -> Q:
    """Match every word of ``query`` against the normalised search column.

    A phone number typed in any format ("0912 345-6789", "+98 912...", Persian digits) is
    reduced to its digits, which appear in the column in both national and E.164 form.
    """
    digits = _PHONE_PUNCTUATION.sub("", normalize_digits(query))
    if digits.isdigit() and len(digits) >= 4:
        if digits.startswith("0098"):
            digits = digits[2:]
        return Q(search_text__contains=digits)
    condition = Q()
    for word in search_key(query).split():
        condition &= Q(search_text__contains=word)
    return condition


class CustomerFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    # distinct=False: a plain column, no join that could repeat rows (DISTINCT over every column
    # of a large table is expensive).
    status = django_filters.MultipleChoiceFilter(
        choices=Customer.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, empty_label=_("Any kind"))
    group = django_filters.ModelChoiceFilter(
        queryset=CustomerGroup.objects.all(), method="filter_group", label=_("Group (with sub-groups)")
    )
    tag = django_filters.ModelMultipleChoiceFilter(queryset=Tag.objects.all(), method="filter_tags", label=_("Tags"))
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.filter(is_active=True).order_by("username"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    province = django_filters.ChoiceFilter(choices=Province.choices, empty_label=_("Any province"))
    city = django_filters.CharFilter(lookup_expr="iexact", label=_("City"))
    source = django_filters.ModelChoiceFilter(queryset=Source.objects.all())
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label=_("Created between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    sms_consent = django_filters.BooleanFilter(label=_("Agrees to marketing SMS"))
    email_consent = django_filters.BooleanFilter(label=_("Agrees to marketing email"))
    gender = django_filters.ChoiceFilter(choices=Customer.Gender.choices, empty_label=_("Any gender"))
    education = django_filters.ChoiceFilter(choices=Customer.Education.choices, empty_label=_("Any education"))
    income_band = django_filters.ChoiceFilter(choices=Customer.IncomeBand.choices, empty_label=_("Any income"))
    born = django_filters.DateFromToRangeFilter(
        field_name="birth_date",
        label=_("Born between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    interest = django_filters.ModelChoiceFilter(queryset=Interest.objects.all(), method="filter_interest")
    sort = django_filters.OrderingFilter(
        fields=[("name", "name"), ("created_at", "created"), ("code", "code"), ("city", "city"), ("status", "status")],
        field_labels={"name": _("Name"), "created_at": _("Created"), "code": _("Code"), "city": _("City")},
        label=_("Sort by"),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(search_condition(value)) if value.strip() else queryset

    def filter_group(self, queryset: QuerySet, name: str, value: CustomerGroup) -> QuerySet:
        return queryset.filter(in_group_subtree(value))

    # Many-to-many filters as EXISTS subqueries: no join, so no repeated rows and no DISTINCT.
    def filter_tags(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        tagged = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__in=value)
        return queryset.filter(Exists(tagged))

    def filter_interest(self, queryset: QuerySet, name: str, value: Interest) -> QuerySet:
        interested = Customer.interests.through.objects.filter(customer_id=OuterRef("pk"), interest=value)
        return queryset.filter(Exists(interested))
