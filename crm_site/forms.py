"""Form fields and cleaners more than one app uses."""

from django import forms
from django.utils.translation import gettext as _

from crm_site.messaging.phone import normalize_phone


def clean_phone_field(value: str) -> str:
    """A form's phone input in E.164, or "" when left empty (the service decides if it is needed)."""
    value = (value or "").strip()
    return normalize_phone(value) if value else ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe), optional by default. ``accept``
    (".pdf,.png") only steers the browser's file picker: the services check the files' content."""

    def __init__(self, *args, accept: str = "", **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept} if accept else {}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# A custom period may span this much at most: reports aggregate over it.
MAX_CUSTOM_DAYS = 5 * 366


def check_custom_period(form: forms.Form, data: dict) -> None:
    """Add the errors of a "custom" period choice to ``form``: both days given, in order, and no
    longer than MAX_CUSTOM_DAYS (for the period filters of the sales and analytics overviews)."""
    if data.get("period") != "custom":
        return
    start, end = data.get("start"), data.get("end")
    if not start:
        form.add_error("start", _("Give the first day."))
    if not end:
        form.add_error("end", _("Give the last day."))
    if start and end and end < start:
        form.add_error("end", _("The last day comes before the first."))
    elif start and end and (end - start).days > MAX_CUSTOM_DAYS:
        form.add_error("end", _("Choose at most five years."))
