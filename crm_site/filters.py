"""What every list's filters share: Bootstrap classes on the widgets, and "Any" on yes/no filters.

A list's filter form is drawn on every request of the list, so templates render its fields with
``templates/partials/filter_field.html`` rather than crispy's slower per-field templates; the
classes Bootstrap needs are set on the widgets here, once per form.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


def _any_yes_no() -> list[tuple[str, str]]:
    # A yes/no filter left empty filters nothing: "Any", not Django's "Unknown".
    return [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]


def style_filter_widgets(form: forms.Form) -> forms.Form:
    """Give each widget (and each part of a multi-widget) its small Bootstrap class."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.NullBooleanSelect):
            field.widget.choices = _any_yes_no()
        for widget in getattr(field.widget, "widgets", [field.widget]):
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"
    return form


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet whose form comes with the Bootstrap classes on its widgets, and whose sort
    menu says "Default order" rather than a row of dashes when nothing is chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in self.filters.values():
            if isinstance(item, django_filters.OrderingFilter) and "empty_label" not in item.extra:
                item.extra["empty_label"] = _("Default order")

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_styled", False):
            style_filter_widgets(form)
            form._styled = True
        return form
