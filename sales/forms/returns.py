"""The "record a return" form: the date, the reason, and a quantity for each line of the order."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sales.models import OrderLine, OrderReturn
from sales.services.returns import quantity_text

_NUMBER = {"class": "form-control form-control-sm text-end", "inputmode": "decimal", "step": "any"}


class OrderReturnForm(forms.Form):
    returned_on = forms.DateField(
        label=_("Returned on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=OrderReturn.Reason.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
    )

    def __init__(self, *args, lines: list[OrderLine], **kwargs):
        """``lines``: the order's lines with ``returned`` and ``remaining`` (selectors.returns)."""
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            remaining = quantity_text(line.remaining)
            self.fields[self.field_name(line)] = forms.DecimalField(
                label=line.product.name,
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=3,
                # A line already returned in full is shown, but takes nothing.
                disabled=line.remaining <= 0,
                validators=[
                    MaxValueValidator(
                        line.remaining,
                        message=_("At most %(remaining)s can still be returned.") % {"remaining": remaining},
                    )
                ],
                error_messages={"min_value": _("A quantity cannot be negative.")},
                widget=forms.NumberInput(attrs={**_NUMBER, "min": "0", "max": line.remaining, "placeholder": "0"}),
            )

    @staticmethod
    def field_name(line: OrderLine) -> str:
        return f"line_{line.pk}"

    def rows(self) -> list[tuple[OrderLine, forms.BoundField]]:
        """Each line with its quantity field, for the template's table."""
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        """The quantities as the service takes them: {order line id: quantity}."""
        return {
            line.pk: self.cleaned_data.get(self.field_name(line)) or Decimal(0)
            for line in self.lines
            if line.remaining > 0
        }

    def clean(self):
        data = super().clean()
        if not self.errors and not any(quantity > 0 for quantity in self.quantities().values()):
            raise forms.ValidationError(_("Enter a quantity to return on at least one line."))
        return data
