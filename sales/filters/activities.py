"""The activity list's filters (django-filter)."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet
from sales.models import Activity
from sales.selectors.activities import local_day_start


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ActivityFilter(StyledFilterSet):
    assignee = django_filters.ChoiceFilter(
        label=_("Assigned to"),
        choices=[("mine", _("Me")), ("team", _("Everyone I can see"))],
        empty_label=None,
        method="filter_assignee",
    )
    status = django_filters.ChoiceFilter(choices=Activity.Status.choices, empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices, empty_label=_("Any kind"))
    due_from = django_filters.DateFilter(
        label=_("Due from"), method="filter_due_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = django_filters.DateFilter(
        label=_("Due until"), method="filter_due_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput()
    )
    # The 360° panel's "more" link: one customer's activities (still within the user's scope).
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Activity
        fields = ["assignee", "status", "kind"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def filter_assignee(self, queryset, name, value):
        if value == "mine" and self.user is not None:
            return queryset.filter(assignee=self.user)
        return queryset

    def filter_due_from(self, queryset, name, value):
        return queryset.filter(due_at__gte=_day_start(value))

    def filter_due_to(self, queryset, name, value):
        # Inclusive: everything due on that local day.
        return queryset.filter(due_at__lt=_day_start(value + timedelta(days=1)))

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(status=Activity.Status.OPEN, due_at__lt=local_day_start(timezone.now()))
        return queryset
