"""Filters of the opportunity list and of the pipeline board."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm_site.filters import StyledFilterSet, style_filter_widgets
from crm_site.models import Team, User
from crm_site.text import search_key
from sales.forms.pipeline import owners_and_teams_in_scope, sales_users
from sales.models import Opportunity, Pipeline, Stage
from sales.selectors.pipeline import rotting_condition


class OpportunityFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    pipeline = django_filters.ModelChoiceFilter(queryset=Pipeline.objects.all(), empty_label=_("Any pipeline"))
    stage = django_filters.ModelChoiceFilter(
        queryset=Stage.objects.select_related("pipeline").order_by("pipeline__order", "pipeline__name", "order"),
        empty_label=_("Any stage"),
    )
    status = django_filters.ChoiceFilter(choices=Opportunity.Status.choices, empty_label=_("Any status"))
    owner = django_filters.ModelChoiceFilter(queryset=sales_users(), empty_label=_("Anyone"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), empty_label=_("Any team"))
    close = django_filters.DateFromToRangeFilter(
        field_name="expected_close_date",
        label=_("Expected to close between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    rotting = django_filters.BooleanFilter(
        method="filter_rotting",
        label=_("Rotting only"),
        widget=forms.CheckboxInput,
    )
    sort = django_filters.OrderingFilter(
        fields=[
            ("amount", "amount"),
            ("expected_close_date", "close"),
            ("created_at", "created"),
            ("last_activity_at", "touched"),
        ],
        field_labels={
            "amount": _("Amount"),
            "expected_close_date": _("Expected close date"),
            "created_at": _("Created"),
            "last_activity_at": _("Last touched"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        users, teams = owners_and_teams_in_scope(user)
        self.filters["owner"].queryset = users
        self.filters["team"].queryset = teams
        self.filters["stage"].field.label_from_instance = lambda stage: f"{stage.pipeline.name} · {stage.name}"

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for word in search_key(value).split():
            condition &= Q(name__icontains=word) | Q(customer__search_text__contains=word)
        return queryset.filter(condition)

    def filter_rotting(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        # The list's queryset already carries the rotting flag: reuse it rather than rebuild it.
        if "is_rotting" in queryset.query.annotations:
            return queryset.filter(is_rotting=True)
        return queryset.filter(rotting_condition())


class BoardFilterForm(forms.Form):
    """The board's filters; the pipeline defaults to the default one."""

    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), required=False
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=sales_users(), required=False, empty_label=_("Anyone"))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("Any team")
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset, self.fields["team"].queryset = owners_and_teams_in_scope(user)
        self.fields["pipeline"].empty_label = None
        style_filter_widgets(self)

    def selected_pipeline(self) -> Pipeline | None:
        chosen = self.cleaned_data.get("pipeline") if self.is_valid() else None
        return chosen or Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "name").first()
