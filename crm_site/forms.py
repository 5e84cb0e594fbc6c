"""Form fields and cleaners more than one app uses."""

from django import forms

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
