"""Forms of the analytics pages: the dashboard's filters, and the settings with the ticket costs."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from analytics.models import AnalyticsSettings, TicketCost
from analytics.periods import DEFAULT_PERIOD, PERIOD_CHOICES, period_compare
from analytics.selectors.dashboard import DashboardFilter
from crm_site.access import Role, Scope, record_scope, team_ids, team_member_ids
from crm_site.forms import check_custom_period
from crm_site.models import Team, User
from service.models import TicketCategory

FAMILY = "analytics"


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET). Teams and owners are only those within the user's scope:
    everyone for admins and marketing, a manager's teams and their members, and nobody else for a
    rep (whose selects are hidden: their figures are always their own). A value outside the scope
    is an error like any other bad input, and the default is used instead."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("All teams"),
        error_messages={"invalid_choice": _("Choose one of the teams whose figures you may see.")},
    )
    owner = _PersonChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Everyone"),
        error_messages={"invalid_choice": _("Choose one of the people whose figures you may see.")},
    )

    def __init__(self, data=None, *, user: User):
        super().__init__(data)
        scope = record_scope(user, FAMILY)
        self.choose_people = scope in (Scope.ALL, Scope.TEAM)
        people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        if scope == Scope.ALL:
            teams = Team.objects.order_by("name")
            people = people.exclude(groups__name=Role.CONTRACTOR.value)
        elif scope == Scope.TEAM:
            teams = Team.objects.filter(pk__in=team_ids(user)).order_by("name")
            people = people.filter(pk__in=team_member_ids(user))
        else:
            teams, people = Team.objects.none(), people.filter(pk=user.pk)
        self.fields["team"].queryset = teams
        self.fields["owner"].queryset = people
        for field in self.fields.values():
            small = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{small} {small}-sm"

    def clean(self):
        data = super().clean()
        check_custom_period(self, data)
        return data

    def chosen(self, *, today: datetime.date) -> DashboardFilter:
        """The filters to show: the valid parts of the input, the defaults for the rest (a wrong
        custom period falls back to the default period)."""
        data = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with the fields that are right
            data = self.cleaned_data
        key = data.get("period") or DEFAULT_PERIOD
        period_wrong = any(name in self.errors for name in ("period", "start", "end"))
        if period_wrong:
            key = DEFAULT_PERIOD
        comparison = period_compare(key=key, today=today, start=data.get("start"), end=data.get("end"))
        return DashboardFilter(
            comparison=comparison,
            team=data.get("team") if self.choose_people else None,
            owner=data.get("owner") if self.choose_people else None,
        )


# --- settings ------------------------------------------------------------------------------------


class AnalyticsSettingsForm(forms.ModelForm):
    """The assumptions of lifetime value, churn and the key-customer ranking."""

    class Meta:
        model = AnalyticsSettings
        fields = [
            "annual_discount_rate",
            "horizon_months",
            "inactive_days",
            "cost_per_order",
            "cost_per_activity",
            "cost_per_message",
            "pareto_measure",
            "pareto_months",
        ]

    # Bounds the models need to stay meaningful (and the columns to hold the numbers).
    BOUNDS = {
        "annual_discount_rate": (0, 100),
        "horizon_months": (1, 120),
        "inactive_days": (1, 3650),
        "pareto_months": (0, 240),
        "cost_per_order": (0, None),
        "cost_per_activity": (0, None),
        "cost_per_message": (0, None),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in self.BOUNDS.items():
            field = self.fields[name]
            field.validators.append(MinValueValidator(low))
            field.widget.attrs["min"] = low
            if high is not None:
                field.validators.append(MaxValueValidator(high))
                field.widget.attrs["max"] = high


class TicketCostForm(forms.ModelForm):
    class Meta:
        model = TicketCost
        fields = ["category", "priority", "cost_per_ticket", "cost_per_hour"]

    def __init__(self, *args, category_choices: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.queryset = TicketCategory.objects.order_by("path")
        category.empty_label = _("Every category")
        if category_choices is not None:
            # Read once by the formset for every row: drawing the rows costs no query each.
            category.choices = category_choices
        self.fields["priority"].choices = [("", _("Every priority")), *TicketCost._meta.get_field("priority").choices]
        for name in ("category", "priority"):
            self.fields[name].widget.attrs.update({"class": "form-select", "aria-label": self.fields[name].label})
        for name in ("cost_per_ticket", "cost_per_hour"):
            self.fields[name].validators.append(MinValueValidator(0))
            self.fields[name].widget.attrs["min"] = 0
            if self.instance.pk is None:
                # A new row starts empty rather than at the model's 0, so it reads as "nothing added".
                self.fields[name].initial = None


class BaseTicketCostFormSet(forms.BaseModelFormSet):
    """The ticket cost rows. Two rows for the same category and priority are refused here, on the
    rows themselves: the database's unique constraint treats empty values as all different."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = TicketCategory.objects.order_by("path")
        self.category_choices = [("", _("Every category"))] + [
            (category.pk, category.indented_name) for category in categories
        ]

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "category_choices": self.category_choices}

    def clean(self):
        super().clean()
        seen: dict[tuple, int] = {}
        for index, form in enumerate(self.forms):
            if self.can_delete and self._should_delete_form(form):
                continue
            data = getattr(form, "cleaned_data", None)
            if not data or (not form.instance.pk and not form.has_changed()):
                continue
            category, priority = data.get("category"), data.get("priority")
            key = (category.pk if category else None, priority or None)
            if key in seen:
                form.add_error(
                    None,
                    ValidationError(
                        _("Row %(row)d already gives a cost for this category and priority."),
                        params={"row": seen[key] + 1},
                        code="duplicate",
                    ),
                )
            else:
                seen[key] = index


TicketCostFormSet = forms.modelformset_factory(
    TicketCost, form=TicketCostForm, formset=BaseTicketCostFormSet, extra=2, can_delete=True, max_num=200
)
