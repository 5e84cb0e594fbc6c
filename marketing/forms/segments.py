"""Forms of the segment pages. They check the shape of the input; the services (and
``validate_rules``) check the rules."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketing.models import Segment
from marketing.rules import validate_rules
from marketing.selectors.segments import segment_parent_choices


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Segment) -> str:
        return obj.name


def parse_rules(text: str) -> dict:
    """The builder's hidden field: JSON text to a validated rule tree (or ValidationError)."""
    if not (text or "").strip():
        return validate_rules({})
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        raise ValidationError(_("The rule could not be read; reload the page and try again.")) from None
    return validate_rules(tree)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Segment.Kind.choices,
        initial=Segment.Kind.RULE,
        widget=forms.RadioSelect,
        help_text=_("A rule finds its customers by itself; a static list holds the customers you add."),
    )
    parent = ParentChoiceField(
        label=_("Refines"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=_("— nothing: a top-level segment —"),
        help_text=_("A sub-segment keeps only the customers of the segment it refines that also match it."),
    )
    rules = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-segment-rules": ""}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, segment: Segment | None = None, **kwargs):
        self.segment = segment
        if segment is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": segment.name,
                    "description": segment.description,
                    "kind": segment.kind,
                    "parent": segment.parent_id,
                    "rules": json.dumps(segment.rules or {}),
                    "is_active": segment.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = segment_parent_choices(exclude=segment)
        if segment is not None:
            # A list's members would lose their meaning under a rule, and the other way round.
            self.fields["kind"].disabled = True
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect | forms.HiddenInput | forms.CheckboxInput):
                continue
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def clean_rules(self) -> dict:
        return parse_rules(self.cleaned_data.get("rules", ""))


class PreviewForm(forms.Form):
    """What the builder posts for the live count: the rule, the kind and the parent."""

    rules = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=Segment.Kind.choices, required=False)
    parent = forms.ModelChoiceField(queryset=Segment.objects.all(), required=False)

    def clean_rules(self) -> dict:
        return parse_rules(self.cleaned_data.get("rules", ""))


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Add customers"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Name, phone, email or code")}),
    )


class MemberIdsForm(forms.Form):
    customer = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id: the service checks the customers exist (and the view that the user may see them).
        values = self.data.getlist("customer") if hasattr(self.data, "getlist") else []
        self.fields["customer"].choices = [(v, v) for v in values]

    def clean_customer(self) -> list[int]:
        ids = self.cleaned_data["customer"]
        if len(ids) > 500:
            raise ValidationError(_("Add or remove at most 500 customers at a time."))
        return ids


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("First row: headings. First column: the customer code or phone number, one customer a row."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )
