"""Forms of the loyalty pages. They check the shape of the input; the services in
``marketing/services/loyalty.py`` check the rules and write."""

from django import forms
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerGroup
from marketing.models import EarningRule, LoyaltySettings, LoyaltyTier
from sales.models import Invoice, ProductCategory


def style(form: forms.Form) -> forms.Form:
    """Bootstrap classes on every widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
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
        construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class LoyaltySettingsForm(ServiceModelForm):
    class Meta:
        model = LoyaltySettings
        fields = [
            "is_active",
            "amount_per_point",
            "point_value",
            "expiry_months",
            "min_redemption",
            "tier_window_months",
            "tier_change_sms",
        ]
        widgets = {"tier_change_sms": forms.Textarea(attrs={"rows": 3})}


class LoyaltyTierForm(ServiceModelForm):
    class Meta:
        model = LoyaltyTier
        fields = ["name", "threshold", "multiplier", "color", "benefits"]
        widgets = {
            "benefits": forms.Textarea(attrs={"rows": 3}),
            "color": forms.Select(
                choices=[
                    (name, name)
                    for name in ("secondary", "primary", "success", "info", "warning", "danger", "dark", "light")
                ]
            ),
        }


class IndentedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return "— " * obj.depth + obj.name


class EarningRuleForm(ServiceModelForm):
    class Meta:
        model = EarningRule
        fields = ["name", "category", "group", "multiplier", "starts_on", "ends_on", "is_active"]
        field_classes = {"category": IndentedChoiceField, "group": IndentedChoiceField}
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProductCategory.objects.order_by("path")
        self.fields["category"].help_text = _("Lines of products in this category and its sub-categories.")
        self.fields["group"].queryset = CustomerGroup.objects.order_by("path")
        self.fields["group"].help_text = _("Customers of this group and its sub-groups.")
        self.fields["starts_on"].help_text = _("Neither category nor group: a bonus period for every purchase.")


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Invoice) -> str:
        return f"{obj.number} · {obj.balance:,.2f}"


class RedeemForm(forms.Form):
    invoice = InvoiceChoiceField(label=_("Invoice"), queryset=Invoice.objects.none())
    points = forms.IntegerField(label=_("Points"), min_value=1)

    def __init__(self, *args, invoices: QuerySet[Invoice], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices
        style(self)


class AdjustForm(forms.Form):
    points = forms.IntegerField(label=_("Points"), help_text=_("Negative to take points away."))
    note = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a number of points other than zero."))
        return points
