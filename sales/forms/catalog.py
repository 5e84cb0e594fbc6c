"""Forms of the product catalogue. They validate input; sales.services.catalog writes."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm_site.text import normalize_text
from sales.models import Product, ProductCategory
from sales.services.catalog_import import IMPORT_MAX_BYTES, IMPORT_MAX_ROWS

MAX_ATTRIBUTES = 50


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductCategory) -> str:
        return obj.indented_name


def parse_attributes(text: str) -> dict[str, str]:
    """ "key: value" lines into a dict; raises ValidationError naming the first bad line."""
    attributes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, separator, value = line.partition(":")
        key, value = normalize_text(key), normalize_text(value)
        if not separator or not key or not value:
            raise forms.ValidationError(
                _('Line %(number)s: write each attribute as "name: value", e.g. "Warranty: 2 years".'),
                params={"number": number},
                code="format",
            )
        if key in attributes:
            raise forms.ValidationError(
                _("Line %(number)s: the attribute %(key)s is given twice."),
                params={"number": number, "key": key},
                code="duplicate",
            )
        attributes[key] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise forms.ValidationError(
            _("At most %(limit)s attributes."), params={"limit": MAX_ATTRIBUTES}, code="too_many"
        )
    return attributes


class ProductForm(forms.ModelForm):
    category = CategoryChoiceField(
        queryset=ProductCategory.objects.order_by("path"), required=False, label=_("Category")
    )
    attributes_text = forms.CharField(
        label=_("Other attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Warranty: 2 years\nMaterial: steel")}),
        help_text=_('One per line, as "name: value".'),
    )

    class Meta:
        model = Product
        fields = [
            "sku", "name", "category", "brand", "colour", "size", "list_price", "unit_cost", "tax_rate",
            "is_active", "description",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["attributes_text"] = "\n".join(
                f"{key}: {value}" for key, value in (self.instance.attributes or {}).items()
            )

    def clean_attributes_text(self) -> dict[str, str]:
        return parse_attributes(self.cleaned_data.get("attributes_text") or "")

    def _post_clean(self) -> None:
        # The service validates the model (full_clean) after normalising; only copy the values here.
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["attributes"] = self.cleaned_data["attributes_text"]
        return data


class CategoryForm(forms.ModelForm):
    parent = CategoryChoiceField(
        queryset=ProductCategory.objects.order_by("path"),
        required=False,
        label=_("Parent category"),
        empty_label=_("(top level)"),
    )

    class Meta:
        model = ProductCategory
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A category cannot move under itself or its own sub-tree.
            self.fields["parent"].queryset = ProductCategory.objects.exclude(
                path__startswith=self.instance.path
            ).order_by("path")

    def _post_clean(self) -> None:
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("Up to %(rows)s products per file.") % {"rows": IMPORT_MAX_ROWS}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook saved as .xlsx."), code="extension")
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB. Split it into smaller files."),
                params={"size": IMPORT_MAX_BYTES // (1024 * 1024)},
                code="size",
            )
        return upload
