"""``merge_preview``: what ``customer_merge`` would do, shown on the merge page without writing.

Also the checks both share: the contact persons that go with an organisation, and the problems
that refuse a merge.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from customers.merge.fields import FieldDecision, Outcome, field_plan
from customers.merge.hooks import merge_hook_label, registered_merge_hooks
from customers.merge.labels import builtin_labels, customer_m2m
from customers.merge.relations import (
    DERIVED_ONE_TO_ONE,
    generic_foreign_keys,
    m2m_sides,
    relation_key,
    relation_label,
    reverse_relations,
)
from customers.models import Customer, CustomerStats


@dataclass(frozen=True)
class MoveCount:
    key: str
    label: str
    count: int
    skipped: int = 0  # already on the survivor, so not copied twice
    note: str = ""


@dataclass
class MergePreview:
    survivor: Customer
    duplicate: Customer
    fields: list[FieldDecision]
    moves: list[MoveCount]
    hooks: list[str]
    duplicate_has_stats: bool
    problems: list[str] = field(default_factory=list)

    @property
    def filled_fields(self) -> list[FieldDecision]:
        return [decision for decision in self.fields if decision.outcome in (Outcome.FILL, Outcome.COMBINE)]

    @property
    def changed_fields(self) -> list[FieldDecision]:
        """Fields where the two records differ (what the preview table shows by default)."""
        return [decision for decision in self.fields if decision.outcome != Outcome.SAME]

    @property
    def total_moving(self) -> int:
        return sum(move.count for move in self.moves)

    @property
    def can_merge(self) -> bool:
        return not self.problems


def contacts_of(duplicate: Customer, survivor: Customer) -> models.QuerySet[Customer]:
    """The duplicate's contact persons, which the survivor takes over."""
    return Customer.objects.filter(organisation=duplicate).exclude(pk=survivor.pk)


def merge_problems(survivor: Customer, duplicate: Customer, contact_count: int) -> list[str]:
    """Why the merge cannot be done as asked (empty when it can)."""
    problems = []
    if survivor.pk == duplicate.pk:
        problems.append(_("A customer cannot be merged into itself."))
    if contact_count and survivor.kind != Customer.Kind.ORGANISATION:
        problems.append(
            _(
                "%(duplicate)s has contact persons, and only an organisation can take them over. "
                "Keep %(duplicate)s instead, or make %(survivor)s an organisation first."
            )
            % {"duplicate": duplicate.name, "survivor": survivor.name}
        )
    return problems


def _count_remaining(survivor: Customer, duplicate: Customer) -> list[MoveCount]:
    """What the generic relation pass would move (``relations.move_remaining``), counted."""
    moves = []
    for rel in reverse_relations():
        if rel.related_model in DERIVED_ONE_TO_ONE:
            continue
        if rel.many_to_many:
            through, to_customer, to_other = m2m_sides(rel)
            already = through._base_manager.filter(**{to_customer: survivor}).values(f"{to_other}_id")
            rows = through._base_manager.filter(**{to_customer: duplicate})
            total = rows.count()
            count = rows.exclude(**{f"{to_other}_id__in": already}).count() if total else 0
            skipped = total - count
        else:
            count = rel.related_model._base_manager.filter(**{rel.field.name: duplicate}).count()
            skipped = 0
        if count or skipped:
            moves.append(MoveCount(relation_key(rel), relation_label(rel), count, skipped))
    customer_type = ContentType.objects.get_for_model(Customer)
    for model, generic in generic_foreign_keys():
        count = model._base_manager.filter(**{generic.ct_field: customer_type, generic.fk_field: duplicate.pk}).count()
        if count:
            label = capfirst(str(model._meta.verbose_name_plural))
            moves.append(MoveCount(f"{model._meta.label_lower}.{generic.name}", label, count))
    return moves


def merge_preview(*, survivor: Customer, duplicate: Customer) -> MergePreview:
    """What ``customer_merge`` would do, without writing anything."""
    survivor_phones = set(survivor.phones.values_list("number", flat=True))
    duplicate_phones = list(duplicate.phones.values_list("number", flat=True))
    survivor_emails = set(survivor.emails.values_list("address", flat=True))
    duplicate_emails = list(duplicate.emails.values_list("address", flat=True))
    labels = builtin_labels()
    moves = [
        _set_move("phones", labels["phones"], duplicate_phones, survivor_phones),
        _set_move("emails", labels["emails"], duplicate_emails, survivor_emails),
    ]
    for name, label in customer_m2m():
        mine = set(getattr(survivor, name).values_list("pk", flat=True))
        theirs = list(getattr(duplicate, name).values_list("pk", flat=True))
        moves.append(_set_move(name, label, theirs, mine))
    contact_count = contacts_of(duplicate, survivor).count()
    moves.append(MoveCount("contacts", labels["contacts"], contact_count))
    moves.append(MoveCount("interactions", labels["interactions"], duplicate.interactions.count()))
    moves.extend(_count_remaining(survivor, duplicate))
    return MergePreview(
        survivor=survivor,
        duplicate=duplicate,
        fields=field_plan(survivor, duplicate),
        moves=[move for move in moves if move.count or move.skipped],
        hooks=[str(merge_hook_label(name)) for name in registered_merge_hooks()],
        duplicate_has_stats=CustomerStats.objects.filter(customer=duplicate).exists(),
        problems=merge_problems(survivor, duplicate, contact_count),
    )


def _set_move(key: str, label: str, theirs: list, mine: set) -> MoveCount:
    count = sum(1 for item in theirs if item not in mine)
    return MoveCount(key, label, count, skipped=len(theirs) - count)
