"""Readable names for what a merge moves, for the preview, merge pages and the timeline."""

from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from customers.merge.hooks import merge_hook_label


def customer_m2m() -> list[tuple[str, str]]:
    """The customer's own memberships the merge combines: (field name, label)."""
    return [("groups", _("Groups")), ("tags", _("Tags")), ("interests", _("Interests"))]


def builtin_labels() -> dict[str, str]:
    """Labels of the ``moved`` keys the customers app itself records."""
    return {
        "phones": _("Phone numbers"),
        "emails": _("Email addresses"),
        **dict(customer_m2m()),
        "contacts": _("Contact persons"),
        "interactions": _("Timeline entries"),
    }


def moved_labels(moved: dict[str, int]) -> list[tuple[str, int]]:
    """A merge record's ``moved`` counts with readable labels, for pages and the timeline."""
    builtin = builtin_labels()
    labelled = []
    for key, count in moved.items():
        label = str(builtin.get(key) or merge_hook_label(key))
        if key not in builtin and key.count(".") == 2:
            app_label, model_name, _field = key.split(".")
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                pass
            else:
                label = capfirst(str(model._meta.verbose_name_plural))
        labelled.append((label, count))
    return labelled


def merge_summary(moved: dict[str, int]) -> str:
    """The timeline entry's body: one ``label: count`` line per relation that moved anything."""
    lines = [f"{label}: {count}" for label, count in moved_labels(moved) if count]
    return "\n".join(lines) if lines else _("No related records moved.")
