"""The merge hook registry, through which other apps move their own records during a merge.

A hook runs inside the merge's transaction with both customers locked, returns how many records
it moved (recorded on the ``CustomerMerge`` row under its name), and raises to abort the whole
merge: ``MergeRefused`` (a ``ValidationError``) with a message the merge page shows, anything else
as an error. Hooks run in registration order, after the customers app has moved its own records
and before the generic pass. A plain foreign key needs no hook: the generic pass moves it. Hooks
are for records that need care: a unique constraint that both customers' rows would break, one row
per customer (a loyalty account whose points must be added up), or figures to recompute. After the
hooks, a one-to-one row left on both customers, or a clash on a unique constraint, refuses the
merge rather than lose a record.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError

from customers.models import Customer

MergeHook = Callable[[Customer, Customer], int]

_hooks: dict[str, MergeHook] = {}
_hook_labels: dict[str, str] = {}


def register_merge_hook(name: str, hook: MergeHook, *, label: str | None = None) -> None:
    """Register (or replace, by name) a callable ``hook(survivor, duplicate) -> int`` that moves
    an app's records during a merge. Safe to call again when ``ready()`` runs twice. ``label``
    (a lazy translation, e.g. ``_("Orders")``) names what it moves on the preview and the timeline."""
    _hooks[name] = hook
    _hook_labels[name] = label or name


def unregister_merge_hook(name: str) -> None:
    _hooks.pop(name, None)
    _hook_labels.pop(name, None)


def registered_merge_hooks() -> dict[str, MergeHook]:
    """The registered hooks by name, in registration order (a copy)."""
    return dict(_hooks)


def merge_hook_label(name: str) -> str:
    """The label a hook was registered with, or ``name`` itself for an unknown hook."""
    return _hook_labels.get(name, name)


class MergeRefused(ValidationError):
    """The merge cannot be done as asked; nothing was written."""
