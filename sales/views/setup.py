"""Sales setup: the index of the configuration pages, and the after-sale messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from crm_site.access import area_required
from crm_site.htmx import htmx_target
from sales.forms.aftersale import SalesSettingsForm
from sales.models import SalesSettings
from sales.selectors.aftersale import message_preview, sales_settings_get
from sales.services.aftersale import sales_settings_update

PREVIEW_TARGET = "message-preview"


@area_required("sales_setup")
def setup(request):
    return render(request, "sales/setup/index.html", {"sales_settings": sales_settings_get()})


@area_required("sales_setup")
def aftersale_settings(request):
    sales_settings = sales_settings_get()
    form = SalesSettingsForm(request.POST or None, instance=sales_settings)
    if htmx_target(request) == PREVIEW_TARGET:
        # The live preview: render the texts being typed, save nothing.
        return render(request, "sales/setup/preview.html", _preview_context(form, sales_settings))
    if request.method == "POST" and form.is_valid():
        try:
            sales_settings_update(sales_settings=sales_settings, **form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("After-sale settings saved."))
            return redirect("sales:aftersale_settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, **_preview_context(form, sales_settings)}
    return render(request, "sales/setup/aftersale.html", context, status=status)


def _preview_context(form: SalesSettingsForm, sales_settings: SalesSettings) -> dict:
    source = form.data if form.is_bound else {}
    texts = {
        name: source.get(name, getattr(sales_settings, name)) for name in ("thank_you_template", "survey_template")
    }
    preview = message_preview(**texts)
    if form.is_bound:
        form.is_valid()  # the preview shows the placeholder problems as the user types
    return {
        "preview": preview,
        "preview_errors": {name: form.errors.get(name) for name in texts} if form.is_bound else {},
    }


urlpatterns = [
    path("setup/", setup, name="setup"),
    path("setup/after-sale/", aftersale_settings, name="aftersale_settings"),
]
