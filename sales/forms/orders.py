"""Forms of quotes, orders, invoices and payments, and the line editor's formset."""

import html
from decimal import Decimal

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from sales.models import Payment
from sales.selectors.orders import products_by_id

# The most lines a document may have; more is refused with a message, not silently cut.
MAX_LINES = 200

_SMALL = {"class": "form-control form-control-sm"}
_NUMBER = {"class": "form-control form-control-sm text-end", "inputmode": "decimal"}


class LineForm(forms.Form):
    """One line of the editor. Empty unit price and tax rate mean "the product's"."""

    product = forms.TypedChoiceField(label=_("Product"), coerce=int)
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False, widget=forms.TextInput(attrs=_SMALL)
    )
    quantity = forms.DecimalField(
        label=_("Qty"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=1,
        widget=forms.NumberInput(attrs={**_NUMBER, "step": "any"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={**_NUMBER, "step": "0.01", "placeholder": _("list price")}),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={**_NUMBER, "step": "0.01"}),
    )
    tax_rate = forms.DecimalField(
        label=_("Tax %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={**_NUMBER, "step": "0.01", "placeholder": _("product's")}),
    )

    def __init__(self, *args, product_choices: list[tuple[int, str]], product_labels: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        # Assigned as a list once per formset, so validation needs no query per line.
        field.choices = [("", _("Choose a product…")), *product_choices]
        field.widget.attrs["class"] = "form-select form-select-sm line-product"
        self.product_labels = product_labels

    def product_select(self) -> SafeString:
        """The product select with only the chosen option: the catalogue is rendered once per page
        (BaseLineFormSet.product_options) and static/js/documents.js fills a select when it is
        opened, so the page does not grow as rows × products."""
        bound = self["product"]
        value = bound.value()
        options = [f'<option value="">{html.escape(str(_("Choose a product…")))}</option>']
        try:
            chosen = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            chosen = None
        if chosen is not None and chosen in self.product_labels:
            label = html.escape(self.product_labels[chosen])
            options.append(f'<option value="{chosen}" selected>{label}</option>')
        attrs = {**bound.field.widget.attrs, "name": bound.html_name, "id": bound.auto_id}
        return mark_safe(f"<select{flatatt(attrs)}>{''.join(options)}</select>")


class BaseLineFormSet(BaseFormSet):
    def __init__(self, *args, product_choices: list[tuple[int, str]], **kwargs):
        self.product_choices = product_choices
        kwargs["form_kwargs"] = {"product_choices": product_choices, "product_labels": dict(product_choices)}
        super().__init__(*args, **kwargs)

    def product_options(self) -> SafeString:
        """Every product a line may pick, as <option>s, once for the whole editor."""
        options = [f'<option value="">{html.escape(str(_("Choose a product…")))}</option>']
        options += [f'<option value="{pk}">{html.escape(label)}</option>' for pk, label in self.product_choices]
        return mark_safe("".join(options))

    def chosen_product_ids(self) -> list[int]:
        """The products on the editor's rows as they stand (posted or initial), deleted rows left
        out: what the product suggestions are computed from."""
        ids = []
        for form in self.forms:
            if form.is_bound and form["DELETE"].value():
                continue
            try:
                product_id = int(form["product"].value())
            except (TypeError, ValueError):
                continue
            if product_id not in ids:
                ids.append(product_id)
        return ids

    def line_forms(self) -> list[LineForm]:
        """The filled, kept lines in order (blank extra rows and deleted rows left out)."""
        initial_count = self.initial_form_count()
        return [
            form
            for index, form in enumerate(self.forms)
            if (index < initial_count or form.has_changed())
            and form.cleaned_data
            and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.line_forms():
            raise forms.ValidationError(_("Add at least one line."))

    def line_inputs(self) -> list[dict]:
        """The lines as the services take them, with their products loaded in one query."""
        kept = self.line_forms()
        products = products_by_id({form.cleaned_data["product"] for form in kept})
        return [
            {
                "product": products.get(form.cleaned_data["product"]),
                "description": form.cleaned_data.get("description", ""),
                "quantity": form.cleaned_data["quantity"],
                "unit_price": form.cleaned_data.get("unit_price"),
                "discount_percent": form.cleaned_data.get("discount_percent"),
                "tax_rate": form.cleaned_data.get("tax_rate"),
            }
            for form in kept
        ]


LineFormSet = formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    validate_min=False,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
)


def line_initial(lines) -> list[dict]:
    """Existing document or opportunity lines as the formset's initial rows."""
    return [
        {
            "product": line.product_id,
            "description": getattr(line, "description", ""),
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": getattr(line, "tax_rate", None),
        }
        for line in lines
    ]


class QuoteForm(forms.Form):
    issued_on = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date", **_SMALL})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date", **_SMALL})
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        help_text=_("Printed on the quote."),
        widget=forms.Textarea(attrs={"rows": 2, **_SMALL}),
    )

    def clean(self):
        data = super().clean()
        issued, valid = data.get("issued_on"), data.get("valid_until")
        if issued and valid and valid < issued:
            self.add_error("valid_until", _("A quote cannot expire before its date."))
        return data


class QuoteEditForm(forms.Form):
    """What may change on a quote besides its lines."""

    valid_until = QuoteForm.base_fields["valid_until"]
    notes = QuoteForm.base_fields["notes"]


class OrderForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2, **_SMALL}))


class InvoiceOrderForm(forms.Form):
    due_in_days = forms.IntegerField(
        label=_("Payment term (days)"),
        min_value=0,
        max_value=365,
        initial=14,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "style": "max-width: 6rem"}),
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={**_NUMBER, "step": "0.01"}),
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=Payment.Method.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"),
        initial=lambda: timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Cheque or transfer number")}),
    )


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the customer"),
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": _("Name, phone, email or code"), "autofocus": True}
        ),
    )
