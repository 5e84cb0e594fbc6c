"""Forms of the service setup pages. They check the shape of the input; the services in
``service/services/setup.py`` check the rules and write."""

from django import forms
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from crm_site.models import Team, User
from service.models import (
    AssignmentRule,
    BusinessCalendar,
    Holiday,
    Skill,
    SlaPolicy,
    Ticket,
    TicketCategory,
    WorkingPeriod,
)
from service.services.setup import Period


def style(form: forms.Form) -> forms.Form:
    """Bootstrap classes on every widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


class ServiceModelForm(forms.ModelForm):
    """A model form whose instance the service validates and saves (the form only fills it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def _post_clean(self):
        # Fill the instance but leave validation to the service, which reports its errors per field.
        construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


def category_choices_queryset() -> QuerySet:
    return TicketCategory.objects.order_by("path")


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketCategory) -> str:
        return obj.indented_name


class AssignmentRuleForm(ServiceModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("Kinds"),
        choices=Ticket.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: any kind."),
    )

    class Meta:
        model = AssignmentRule
        fields = ["name", "order", "is_active", "category", "method", "team", "users", "skill"]
        field_classes = {"category": CategoryChoiceField}
        widgets = {"users": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, agents: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices_queryset()
        self.fields["category"].help_text = _("Empty: any category.")
        self.fields["users"].queryset = agents
        self.fields["users"].help_text = _("Round-robin: empty means the team's service agents, in turn.")
        self.fields["team"].queryset = Team.objects.all()
        if self.instance.pk:
            self.initial["kinds"] = self.instance.kinds

    def _post_clean(self):
        # Many-to-many and kinds go through the service.
        fields = [name for name in self._meta.fields if name not in ("users",)]
        construct_instance(self, self.instance, fields)


class SlaPolicyForm(ServiceModelForm):
    """Targets are typed as hours and minutes of business time and stored in minutes."""

    # The service's errors on the stored minutes are shown next to the hours typed.
    error_fields = {"first_response_minutes": "first_response_hours", "resolution_minutes": "resolution_hours"}

    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Ticket.Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    first_response_hours = forms.IntegerField(label=_("First response: hours"), min_value=0, initial=4)
    first_response_mins = forms.IntegerField(label=_("minutes"), min_value=0, max_value=59, initial=0)
    resolution_hours = forms.IntegerField(label=_("Resolution: hours"), min_value=0, initial=24)
    resolution_mins = forms.IntegerField(label=_("minutes"), min_value=0, max_value=59, initial=0)

    class Meta:
        model = SlaPolicy
        fields = [
            "name", "order", "is_active", "priority", "category", "customer_group", "warn_before_minutes", "calendar",
        ]  # fmt: skip
        field_classes = {"category": CategoryChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices_queryset()
        self.fields["calendar"].queryset = BusinessCalendar.objects.all()
        policy = self.instance
        if policy.pk:
            for name in ("first_response", "resolution"):
                hours, minutes = divmod(getattr(policy, f"{name}_minutes"), 60)
                self.initial[f"{name}_hours"], self.initial[f"{name}_mins"] = hours, minutes
        else:
            self.initial.setdefault("calendar", BusinessCalendar.objects.filter(is_default=True).first())
        style(self)

    def _post_clean(self):
        super()._post_clean()
        data = self.cleaned_data
        for name in ("first_response", "resolution"):
            hours, minutes = data.get(f"{name}_hours"), data.get(f"{name}_mins")
            if hours is not None and minutes is not None:
                setattr(self.instance, f"{name}_minutes", hours * 60 + minutes)


class CalendarForm(ServiceModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone", "is_default"]
        widgets = {"timezone": forms.TextInput(attrs={"dir": "ltr"})}


# The weekly editor: two optional periods per day (a morning and an afternoon).
SLOTS = (1, 2)


class WeekForm(forms.Form):
    """From/to per weekday, and a second period for a split day; an empty day is closed."""

    def __init__(self, *args, calendar: BusinessCalendar | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.days = []
        existing: dict[int, list[WorkingPeriod]] = {}
        if calendar is not None and calendar.pk:
            for period in calendar.periods.all():
                existing.setdefault(period.weekday, []).append(period)
        for weekday, label in WorkingPeriod.Weekday.choices:
            row = {"weekday": weekday, "label": label, "slots": []}
            for slot in SLOTS:
                names = (f"d{weekday}_{slot}_start", f"d{weekday}_{slot}_end")
                for name in names:
                    self.fields[name] = forms.TimeField(
                        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
                    )
                periods = existing.get(weekday, [])
                if len(periods) >= slot:
                    self.initial[names[0]] = periods[slot - 1].start
                    self.initial[names[1]] = periods[slot - 1].end
                row["slots"].append((self[names[0]], self[names[1]]))
            self.days.append(row)
        style(self)

    def clean(self):
        data = super().clean()
        for weekday, label in WorkingPeriod.Weekday.choices:
            for slot in SLOTS:
                start, end = data.get(f"d{weekday}_{slot}_start"), data.get(f"d{weekday}_{slot}_end")
                if (start is None) != (end is None):
                    self.add_error(f"d{weekday}_{slot}_end", _("%(day)s: give both from and to.") % {"day": label})
        return data

    def periods(self) -> list[Period]:
        data = self.cleaned_data
        periods = []
        for weekday, _label in WorkingPeriod.Weekday.choices:
            for slot in SLOTS:
                start, end = data.get(f"d{weekday}_{slot}_start"), data.get(f"d{weekday}_{slot}_end")
                if start is not None and end is not None:
                    periods.append(Period(weekday=weekday, start=start, end=end))
        return periods


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def _post_clean(self):
        pass  # the service checks the date is not already a holiday


class CategoryForm(ServiceModelForm):
    class Meta:
        model = TicketCategory
        fields = ["name", "parent", "skill", "is_active"]
        field_classes = {"parent": CategoryChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = category_choices_queryset()
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents


class SkillForm(ServiceModelForm):
    class Meta:
        model = Skill
        fields = ["name", "agents"]
        widgets = {"agents": forms.SelectMultiple(attrs={"size": 10})}

    def __init__(self, *args, agents: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = agents

    def _post_clean(self):
        construct_instance(self, self.instance, ["name"])
