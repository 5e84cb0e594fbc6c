"""Merging a duplicate customer into the one that survives, without losing a single record.

``customer_merge`` runs in one transaction: it fills the survivor's blank fields from the
duplicate, moves contacts, classification, contact persons and the timeline, runs the hooks other
apps registered for their own records, then moves *every* relation still pointing at the duplicate
(found from the model's metadata, so an app that forgot its hook loses nothing), records the merge
and deletes the duplicate. ``merge_preview`` shows the same plan without writing.

Other apps move their records with a hook, registered in their ``AppConfig.ready()``:

    from customers.merge import register_merge_hook

    def move_orders(survivor, duplicate) -> int:
        return Order.objects.filter(customer=duplicate).update(customer=survivor)

    register_merge_hook("sales.orders", move_orders, label=_("Orders"))

The contract hooks follow is described in ``customers.merge.hooks``.

The package's parts: ``hooks`` (the registry and ``MergeRefused``), ``fields`` (what happens to
each field), ``relations`` (the generic pass over every relation to a customer), ``preview``
(``merge_preview``), ``services`` (``customer_merge``) and ``labels`` (readable names for what moved).
"""

from customers.merge.fields import FieldDecision, Outcome
from customers.merge.hooks import (
    MergeHook,
    MergeRefused,
    register_merge_hook,
    registered_merge_hooks,
    unregister_merge_hook,
)
from customers.merge.labels import moved_labels
from customers.merge.preview import MergePreview, MoveCount, merge_preview
from customers.merge.services import customer_merge

__all__ = [
    "FieldDecision",
    "MergeHook",
    "MergePreview",
    "MergeRefused",
    "MoveCount",
    "Outcome",
    "customer_merge",
    "merge_preview",
    "moved_labels",
    "register_merge_hook",
    "registered_merge_hooks",
    "unregister_merge_hook",
]
