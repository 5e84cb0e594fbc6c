"""The generic relation pass: every relation to a customer, found from the models' metadata.

After the customers app and the hooks have moved what needs care, ``move_remaining`` moves every
row still pointing at the duplicate (foreign keys, one-to-ones, memberships and generic relations),
so an app that forgot its hook loses nothing; a clash it cannot resolve refuses the merge.
"""

from collections.abc import Iterator

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import ForeignObjectRel
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.models import HistoricalChanges

from customers.merge.hooks import MergeRefused
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerStats,
    Interaction,
)

# Relations the merge handles itself, before the hooks; the generic pass skips them.
_HANDLED = {
    (CustomerPhone, "customer"),
    (CustomerEmail, "customer"),
    (Interaction, "customer"),
    (Customer, "organisation"),
}
# One-per-customer rows that analytics recomputes: the duplicate's is dropped, not moved.
DERIVED_ONE_TO_ONE = {CustomerStats}


def reverse_relations() -> Iterator[ForeignObjectRel]:
    """Every relation from another model (or Customer itself) to Customer, hidden ones included,
    except history tables, auto-created M2M tables (moved through their M2M) and the handled ones."""
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel):
            continue
        model = rel.related_model
        if issubclass(model, HistoricalChanges) or (model._meta.auto_created and not rel.many_to_many):
            continue
        if not rel.many_to_many and (model, rel.field.name) in _HANDLED:
            continue
        yield rel


def relation_key(rel: ForeignObjectRel) -> str:
    return f"{rel.related_model._meta.label_lower}.{rel.field.name}"


def relation_label(rel: ForeignObjectRel) -> str:
    label = capfirst(str(rel.related_model._meta.verbose_name_plural))
    if rel.many_to_many:
        return _("%(records)s (membership)") % {"records": label}
    return label


def generic_foreign_keys() -> Iterator[tuple[type[models.Model], GenericForeignKey]]:
    """Generic relations (content type + object id) that may point at a customer, e.g. an
    outbox message "concerning" one."""
    for model in apps.get_models():
        if issubclass(model, HistoricalChanges):
            continue
        for private in model._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                yield model, private


def m2m_sides(rel: ForeignObjectRel) -> tuple[type[models.Model], str, str]:
    """(through model, its field to Customer, its field to the other model) of a reverse M2M."""
    return rel.through, rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()


def _move_m2m_rel(rel: ForeignObjectRel, survivor: Customer, duplicate: Customer) -> int:
    through, to_customer, to_other = m2m_sides(rel)
    manager = through._base_manager
    already = list(manager.filter(**{to_customer: survivor}).values_list(f"{to_other}_id", flat=True))
    moved = manager.filter(**{to_customer: duplicate}).exclude(**{f"{to_other}_id__in": already})
    count = moved.update(**{to_customer: survivor})
    manager.filter(**{to_customer: duplicate}).delete()  # left over: already on the survivor
    return count


def _move_fk_rel(rel: ForeignObjectRel, survivor: Customer, duplicate: Customer) -> int:
    manager = rel.related_model._base_manager
    name = rel.field.name
    try:
        with transaction.atomic():  # a savepoint, so the error below is reported cleanly
            return manager.filter(**{name: duplicate}).update(**{name: survivor})
    except IntegrityError:
        raise MergeRefused(
            _(
                "Both customers have %(records)s that cannot be combined automatically; the app that "
                "owns them needs a merge hook. Nothing was changed."
            )
            % {"records": relation_label(rel).lower()}
        ) from None


def _move_one_to_one(rel: ForeignObjectRel, survivor: Customer, duplicate: Customer) -> int:
    manager = rel.related_model._base_manager
    name = rel.field.name
    rows = manager.filter(**{name: duplicate})
    if rel.related_model in DERIVED_ONE_TO_ONE:
        rows.delete()
        return 0
    if not rows.exists():
        return 0
    if manager.filter(**{name: survivor}).exists():
        raise MergeRefused(
            _(
                "Both customers have %(records)s and only one is allowed; the app that owns them "
                "needs a merge hook. Nothing was changed."
            )
            % {"records": relation_label(rel).lower()}
        )
    return _move_fk_rel(rel, survivor, duplicate)


def move_remaining(survivor: Customer, duplicate: Customer) -> dict[str, int]:
    """Move every row still pointing at ``duplicate`` to ``survivor``; the counts by relation key."""
    moved: dict[str, int] = {}
    relations = list(reverse_relations())
    # Memberships first: a custom M2M table is also a foreign key, and moving it row by row could
    # break its unique (other, customer) pair.
    for rel in sorted(relations, key=lambda rel: not rel.many_to_many):
        if rel.many_to_many:
            count = _move_m2m_rel(rel, survivor, duplicate)
        elif rel.one_to_one:
            count = _move_one_to_one(rel, survivor, duplicate)
        else:
            count = _move_fk_rel(rel, survivor, duplicate)
        if count:
            moved[relation_key(rel)] = moved.get(relation_key(rel), 0) + count
    customer_type = ContentType.objects.get_for_model(Customer)
    for model, generic in generic_foreign_keys():
        rows = model._base_manager.filter(**{generic.ct_field: customer_type, generic.fk_field: duplicate.pk})
        count = rows.update(**{generic.fk_field: survivor.pk})
        if count:
            moved[f"{model._meta.label_lower}.{generic.name}"] = count
    return moved
