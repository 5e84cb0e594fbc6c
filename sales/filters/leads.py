"""The lead list's filters and search box (django-filter); the export uses the same filters."""

import re

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm_site.access import Role
from crm_site.filters import StyledFilterSet
from crm_site.messaging.phone import normalize_phone
from crm_site.models import User
from crm_site.text import normalize_digits, normalize_text
from customers.geography import Province
from customers.models import Source
from sales.models import Lead

_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")


def lead_search_condition(query: str) -> Q:
    """Name, company, email, or a phone typed in any form (Persian digits, 0912..., +98912...)."""
    text = normalize_text(query)
    condition = Q(name__icontains=text) | Q(company__icontains=text) | Q(email__icontains=text.lower())
    digits = _PHONE_PUNCTUATION.sub("", normalize_digits(query))
    if digits.lstrip("+").isdigit() and len(digits) >= 4:
        try:
            condition |= Q(phone=normalize_phone(digits))
        except ValidationError:  # a fragment of a number: match it anywhere
            fragment = digits.lstrip("+")
            condition |= Q(phone__contains=fragment[1:] if fragment.startswith("0") else fragment)
    return condition


def _sales_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SALES_REP, Role.MANAGER])
        .distinct()
        .order_by("first_name", "username")
    )


class LeadFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices, empty_label=_("Any status"))
    source = django_filters.ModelChoiceFilter(queryset=Source.objects.all(), empty_label=_("Any source"))
    owner = django_filters.ModelChoiceFilter(queryset=_sales_users(), empty_label=_("Anyone"))
    province = django_filters.ChoiceFilter(choices=Province.choices, empty_label=_("Any province"))
    assignment = django_filters.ChoiceFilter(
        method="filter_assignment",
        choices=[("unassigned", _("Unassigned")), ("assigned", _("Assigned"))],
        empty_label=_("Assigned or not"),
        label=_("Assignment"),
    )
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=_("Score at least"))
    sort = django_filters.OrderingFilter(
        fields=[("created_at", "created"), ("score", "score"), ("name", "name"), ("estimated_value", "value")],
        field_labels={
            "created_at": _("Created"),
            "score": _("Score"),
            "name": _("Name"),
            "estimated_value": _("Estimated value"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def __init__(self, *args, owners: QuerySet[User] | None = None, show_unassigned: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.filters["owner"].queryset = owners
        if not show_unassigned:
            # A rep has no unassigned leads in their list: the choice would always be empty.
            del self.filters["assignment"]

    def filter_assignment(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "unassigned":
            return queryset.filter(owner__isnull=True)
        if value == "assigned":
            return queryset.filter(owner__isnull=False)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(lead_search_condition(value)) if value.strip() else queryset
