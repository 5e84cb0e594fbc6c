"""Trees stored with a materialised path (customer groups, product and ticket categories).

Each node keeps ``path``, the ids from the root down to itself ("3/17/42/"), and ``depth``, so "this
node and everything under it" is one indexed prefix match (``path__startswith``). Saving a node is
the one place these stay right when a node is created or moved.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction

from crm_site.text import normalize_text


def _node_path(node: models.Model, *, cycle_message: str) -> tuple[str, int]:
    if node.parent_id is None:
        return f"{node.pk}/", 0
    parent = type(node).objects.only("path", "depth").get(pk=node.parent_id)
    if parent.path.startswith(f"{node.pk}/") or f"/{node.pk}/" in parent.path:
        raise ValidationError({"parent": cycle_message})
    return f"{parent.path}{node.pk}/", parent.depth + 1


@transaction.atomic
def tree_node_save(node: models.Model, *, cycle_message: str) -> models.Model:
    """Create, rename or move ``node`` (a model with ``name``, ``parent``, ``path`` and ``depth``),
    and move its descendants' paths with it. ``cycle_message`` refuses a move under itself."""
    node.name = normalize_text(node.name)
    old_path = node.path if node.pk else ""
    node.full_clean(exclude=["path", "depth"])
    if node.pk is None:
        node.path = "pending/"  # the id is part of the path: save once to get it
        node.save()
    node.path, node.depth = _node_path(node, cycle_message=cycle_message)
    node.save()
    if old_path and old_path != node.path:
        # One UPDATE per descendant; a move touches one branch of a tree of a few hundred nodes.
        for child in type(node).objects.filter(path__startswith=old_path).exclude(pk=node.pk):
            child.path = node.path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 1
            child.save(update_fields=["path", "depth"])
    return node
