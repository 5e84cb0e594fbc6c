"""Forms of automation: a rule (event and its settings, conditions as a JSON rule tree, actions as
a JSON list drawn by marketing/static/marketing/rule_actions.js), and the lists' filters."""

import json

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm_site.events import Event
from crm_site.filters import StyledFilterSet, style_filter_widgets
from marketing.models import AutomationRule, RuleFiring
from marketing.rules import describe_rules, validate_rules
from marketing.services.automation import EVENT_PARAMS
from marketing.services.automation_actions import FieldSpec, actions_spec


def param_field_name(event: str, name: str) -> str:
    return f"param_{event}__{name}"


def _form_field(spec: FieldSpec) -> forms.Field:
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help}
    if spec.kind == "number":
        return forms.IntegerField(min_value=spec.min_value, max_value=spec.max_value, **common)
    if spec.kind == "amount":
        return forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, **common)
    if spec.kind == "select":
        return forms.ChoiceField(choices=[("", "—"), *(spec.choices() if spec.choices else [])], **common)
    return forms.CharField(max_length=spec.max_length, **common)


def _parse_json(text: str, *, empty, message: str):
    text = (text or "").strip()
    if not text:
        return empty
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise ValidationError(message) from None


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    event = forms.ChoiceField(label=_("When"), choices=Event.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    conditions = forms.CharField(
        label=_("Only for customers who match"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false", "dir": "ltr"}),
        help_text=_(
            'A segment rule tree, e.g. {"match": "all", "conditions": [{"field": "city", "op": "in", '
            '"value": ["Tehran"]}]}. Leave empty for every customer.'
        ),
    )
    actions = forms.CharField(
        label=_("Actions (JSON)"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false", "dir": "ltr"}),
    )

    def __init__(self, *args, rule: AutomationRule | None = None, **kwargs):
        if rule is not None and "initial" not in kwargs:
            initial = {
                "name": rule.name,
                "description": rule.description,
                "event": rule.event,
                "is_active": rule.is_active,
                "conditions": json.dumps(rule.conditions, ensure_ascii=False, indent=2) if rule.conditions else "",
                "actions": json.dumps(rule.actions, ensure_ascii=False),
            }
            for name, value in (rule.event_params or {}).items():
                initial[param_field_name(rule.event, name)] = value
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.param_groups: list[tuple[str, list[str]]] = []
        for event, specs in EVENT_PARAMS.items():
            names = []
            for spec in specs:
                field_name = param_field_name(event, spec.name)
                field = _form_field(spec)
                field.required = False  # only the chosen event's settings are checked (in clean)
                field.spec_required = spec.required
                self.fields[field_name] = field
                names.append(field_name)
            self.param_groups.append((str(event), names))
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs["class"] = f"form-control {widget.attrs.get('class', '')}".strip()
        self.actions_spec = actions_spec()

    def param_groups_bound(self):
        """[(event, [bound fields])] for the template."""
        return [(event, [self[name] for name in names]) for event, names in self.param_groups]

    def clean_conditions(self):
        tree = _parse_json(
            self.cleaned_data.get("conditions"), empty={}, message=_("The conditions are not valid JSON.")
        )
        return validate_rules(tree)

    def clean_actions(self):
        actions = _parse_json(self.cleaned_data.get("actions"), empty=[], message=_("The actions are not valid JSON."))
        if not isinstance(actions, list):
            raise ValidationError(_("The actions must be a list."))
        return actions

    def clean(self):
        cleaned = super().clean()
        event = cleaned.get("event")
        params = {}
        for spec in EVENT_PARAMS.get(event, ()):
            field_name = param_field_name(event, spec.name)
            value = cleaned.get(field_name)
            if value in (None, ""):
                if spec.required:
                    self.add_error(field_name, _("This field is required."))
                continue
            params[spec.name] = str(value) if spec.kind in ("amount", "select") else value
        cleaned["event_params"] = params
        return cleaned

    def conditions_words(self) -> str:
        """The conditions in words, when they are valid."""
        source = self.cleaned_data.get("conditions") if self.is_bound and hasattr(self, "cleaned_data") else None
        if source is None:
            try:
                source = validate_rules(json.loads(self["conditions"].value() or "{}"))
            except (ValueError, ValidationError):
                return ""
        return describe_rules(source)


class RuleFilter(StyledFilterSet):
    event = django_filters.ChoiceFilter(choices=Event.choices, empty_label=_("Any event"), label=_("Event"))
    is_active = django_filters.BooleanFilter(
        label=_("Active"),
        widget=forms.Select(choices=[("", _("Active or not")), ("true", _("Active")), ("false", _("Inactive"))]),
    )

    class Meta:
        model = AutomationRule
        fields = ["event", "is_active"]


class FiringFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *RuleFiring.Status.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_filter_widgets(self)

    def status_value(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""
