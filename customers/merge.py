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

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import ForeignObjectRel
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.models import HistoricalChanges

from crm_site.models import User
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerStats,
    Interaction,
)
from customers.services import customers_refresh_derived, interaction_record

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
    return dict(_hooks)


class MergeRefused(ValidationError):
    """The merge cannot be done as asked; nothing was written."""


# --- what happens to each field ----------------------------------------------------------------


class Outcome(StrEnum):
    SAME = "same"  # both hold the same value
    KEEP = "keep"  # the survivor's value stays (the duplicate's is kept in the merge record)
    FILL = "fill"  # the survivor's field is blank and takes the duplicate's value
    COMBINE = "combine"  # both values are kept (notes appended, attributes joined)


# Identity, bookkeeping and columns the services derive: never taken from the duplicate.
_NOT_MERGED = {"id", "code", "phone", "email", "search_text", "name_key", "created_at", "updated_at", "created_by"}
# Consent belongs to the record it was given (or withdrawn) on: a withdrawal clears the stamp, so
# "no consent" on the survivor may be a withdrawal that the duplicate's old consent must not undo.
_KEPT_AS_IS = {
    "kind",
    "name",
    "status",
    "sms_consent",
    "sms_consent_at",
    "sms_consent_method",
    "email_consent",
    "email_consent_at",
    "email_consent_method",
}
# First and last name go together: filling one alone would contradict the name.
_NAME_PAIR = ("first_name", "last_name")


@dataclass(frozen=True)
class FieldDecision:
    name: str
    label: str
    survivor_display: str
    duplicate_display: str
    outcome: Outcome
    value: object = None  # the survivor's value after the merge (model attribute value)


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


def _is_blank(value) -> bool:
    return value is None or value == "" or value == {} or value == []


def _display(model_field: models.Field, value, obj: Customer) -> str:
    if _is_blank(value):
        return ""
    if model_field.is_relation:
        related = getattr(obj, model_field.name)
        return str(related) if related is not None else ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if hasattr(value, "tzinfo") and hasattr(value, "hour") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return str(formats.localize(value))


def _merged_fields() -> Iterator[models.Field]:
    for model_field in Customer._meta.concrete_fields:
        if model_field.name not in _NOT_MERGED:
            yield model_field


def _field_plan(survivor: Customer, duplicate: Customer) -> list[FieldDecision]:
    name_pair_blank = all(_is_blank(getattr(survivor, name)) for name in _NAME_PAIR)
    decisions = []
    for model_field in _merged_fields():
        mine = getattr(survivor, model_field.attname)
        theirs = getattr(duplicate, model_field.attname)
        value = mine
        if mine == theirs or _is_blank(theirs):
            outcome = Outcome.SAME if mine == theirs else Outcome.KEEP
        elif model_field.name in _KEPT_AS_IS:
            outcome = Outcome.KEEP
        elif model_field.name in _NAME_PAIR:
            outcome, value = (Outcome.FILL, theirs) if name_pair_blank else (Outcome.KEEP, mine)
        elif model_field.name == "organisation" and theirs == survivor.pk:
            outcome = Outcome.KEEP  # the duplicate was a contact of the survivor: no self-reference
        elif model_field.name == "attributes" and isinstance(mine, dict) and isinstance(theirs, dict):
            value = {**theirs, **mine}
            outcome = Outcome.COMBINE if value != mine else Outcome.KEEP
        elif model_field.name == "notes" and mine and theirs:
            value = f"{mine}\n\n{theirs}" if theirs not in mine else mine
            outcome = Outcome.COMBINE if value != mine else Outcome.KEEP
        elif _is_blank(mine):
            outcome, value = Outcome.FILL, theirs
        else:
            outcome = Outcome.KEEP
        if model_field.name == "organisation" and mine == duplicate.pk:
            # The survivor was a contact of the duplicate, which is going away.
            value = theirs if theirs != survivor.pk else None
            outcome = Outcome.FILL if value is not None else Outcome.KEEP
        decisions.append(
            FieldDecision(
                name=model_field.name,
                label=capfirst(str(model_field.verbose_name)),
                survivor_display=_display(model_field, mine, survivor),
                duplicate_display=_display(model_field, theirs, duplicate),
                outcome=outcome,
                value=value,
            )
        )
    return decisions


# --- relations ---------------------------------------------------------------------------------

# Relations the merge handles itself, before the hooks; the generic pass skips them.
_HANDLED = {
    (CustomerPhone, "customer"),
    (CustomerEmail, "customer"),
    (Interaction, "customer"),
    (Customer, "organisation"),
}
# One-per-customer rows that analytics recomputes: the duplicate's is dropped, not moved.
_DERIVED_ONE_TO_ONE = {CustomerStats}


def _customer_m2m() -> list[tuple[str, str]]:
    return [("groups", _("Groups")), ("tags", _("Tags")), ("interests", _("Interests"))]


def _reverse_relations() -> Iterator[ForeignObjectRel]:
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


def _relation_key(rel: ForeignObjectRel) -> str:
    return f"{rel.related_model._meta.label_lower}.{rel.field.name}"


def _relation_label(rel: ForeignObjectRel) -> str:
    label = capfirst(str(rel.related_model._meta.verbose_name_plural))
    if rel.many_to_many:
        return _("%(records)s (membership)") % {"records": label}
    return label


def _generic_foreign_keys() -> Iterator[tuple[type[models.Model], GenericForeignKey]]:
    """Generic relations (content type + object id) that may point at a customer, e.g. an
    outbox message "concerning" one."""
    for model in apps.get_models():
        if issubclass(model, HistoricalChanges):
            continue
        for private in model._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                yield model, private


def _m2m_sides(rel: ForeignObjectRel) -> tuple[type[models.Model], str, str]:
    """(through model, its field to Customer, its field to the other model) of a reverse M2M."""
    return rel.through, rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()


def _move_m2m_rel(rel: ForeignObjectRel, survivor: Customer, duplicate: Customer) -> int:
    through, to_customer, to_other = _m2m_sides(rel)
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
            % {"records": _relation_label(rel).lower()}
        ) from None


def _move_one_to_one(rel: ForeignObjectRel, survivor: Customer, duplicate: Customer) -> int:
    manager = rel.related_model._base_manager
    name = rel.field.name
    rows = manager.filter(**{name: duplicate})
    if rel.related_model in _DERIVED_ONE_TO_ONE:
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
            % {"records": _relation_label(rel).lower()}
        )
    return _move_fk_rel(rel, survivor, duplicate)


def _move_remaining(survivor: Customer, duplicate: Customer) -> dict[str, int]:
    moved: dict[str, int] = {}
    relations = list(_reverse_relations())
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
            moved[_relation_key(rel)] = moved.get(_relation_key(rel), 0) + count
    customer_type = ContentType.objects.get_for_model(Customer)
    for model, generic in _generic_foreign_keys():
        rows = model._base_manager.filter(**{generic.ct_field: customer_type, generic.fk_field: duplicate.pk})
        count = rows.update(**{generic.fk_field: survivor.pk})
        if count:
            moved[f"{model._meta.label_lower}.{generic.name}"] = count
    return moved


def _count_remaining(survivor: Customer, duplicate: Customer) -> list[MoveCount]:
    moves = []
    for rel in _reverse_relations():
        if rel.related_model in _DERIVED_ONE_TO_ONE:
            continue
        if rel.many_to_many:
            through, to_customer, to_other = _m2m_sides(rel)
            already = through._base_manager.filter(**{to_customer: survivor}).values(f"{to_other}_id")
            rows = through._base_manager.filter(**{to_customer: duplicate})
            total = rows.count()
            count = rows.exclude(**{f"{to_other}_id__in": already}).count() if total else 0
            skipped = total - count
        else:
            count = rel.related_model._base_manager.filter(**{rel.field.name: duplicate}).count()
            skipped = 0
        if count or skipped:
            moves.append(MoveCount(_relation_key(rel), _relation_label(rel), count, skipped))
    customer_type = ContentType.objects.get_for_model(Customer)
    for model, generic in _generic_foreign_keys():
        count = model._base_manager.filter(**{generic.ct_field: customer_type, generic.fk_field: duplicate.pk}).count()
        if count:
            label = capfirst(str(model._meta.verbose_name_plural))
            moves.append(MoveCount(f"{model._meta.label_lower}.{generic.name}", label, count))
    return moves


def _contacts_of(duplicate: Customer, survivor: Customer) -> models.QuerySet[Customer]:
    return Customer.objects.filter(organisation=duplicate).exclude(pk=survivor.pk)


def _problems(survivor: Customer, duplicate: Customer, contact_count: int) -> list[str]:
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


def _stats_of(customer: Customer) -> CustomerStats | None:
    try:
        return customer.stats
    except ObjectDoesNotExist:
        return None


# --- preview ------------------------------------------------------------------------------------


def merge_preview(*, survivor: Customer, duplicate: Customer) -> MergePreview:
    """What ``customer_merge`` would do, without writing anything."""
    survivor_phones = set(survivor.phones.values_list("number", flat=True))
    duplicate_phones = list(duplicate.phones.values_list("number", flat=True))
    survivor_emails = set(survivor.emails.values_list("address", flat=True))
    duplicate_emails = list(duplicate.emails.values_list("address", flat=True))
    labels = _builtin_labels()
    moves = [
        _set_move("phones", labels["phones"], duplicate_phones, survivor_phones),
        _set_move("emails", labels["emails"], duplicate_emails, survivor_emails),
    ]
    for name, label in _customer_m2m():
        mine = set(getattr(survivor, name).values_list("pk", flat=True))
        theirs = list(getattr(duplicate, name).values_list("pk", flat=True))
        moves.append(_set_move(name, label, theirs, mine))
    contact_count = _contacts_of(duplicate, survivor).count()
    moves.append(MoveCount("contacts", labels["contacts"], contact_count))
    moves.append(MoveCount("interactions", labels["interactions"], duplicate.interactions.count()))
    moves.extend(_count_remaining(survivor, duplicate))
    return MergePreview(
        survivor=survivor,
        duplicate=duplicate,
        fields=_field_plan(survivor, duplicate),
        moves=[move for move in moves if move.count or move.skipped],
        hooks=[str(_hook_labels.get(name, name)) for name in _hooks],
        duplicate_has_stats=CustomerStats.objects.filter(customer=duplicate).exists(),
        problems=_problems(survivor, duplicate, contact_count),
    )


def _set_move(key: str, label: str, theirs: list, mine: set) -> MoveCount:
    count = sum(1 for item in theirs if item not in mine)
    return MoveCount(key, label, count, skipped=len(theirs) - count)


# --- the merge ----------------------------------------------------------------------------------


def _snapshot(duplicate: Customer) -> dict:
    """The duplicate as it was, for the merge record: its fields, contacts and classification."""
    data = {
        model_field.attname: model_field.value_from_object(duplicate) for model_field in Customer._meta.concrete_fields
    }
    data.pop("search_text", None)
    data["phones"] = list(duplicate.phones.values_list("number", flat=True))
    data["emails"] = list(duplicate.emails.values_list("address", flat=True))
    data["groups"] = list(duplicate.groups.values_list("pk", flat=True))
    data["tags"] = list(duplicate.tags.values_list("name", flat=True))
    data["interests"] = list(duplicate.interests.values_list("name", flat=True))
    stats = _stats_of(duplicate)
    if stats is not None:
        data["stats"] = {
            model_field.attname: model_field.value_from_object(stats)
            for model_field in CustomerStats._meta.concrete_fields
            if model_field.attname != "customer_id"
        }
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _move_contacts(survivor: Customer, duplicate: Customer) -> dict[str, int]:
    moved = {}
    # Phones and emails the survivor already has stay once (unique per customer); the duplicate's
    # copies go with it. Moved ones never take over the survivor's primary.
    for key, model, column in (("phones", CustomerPhone, "number"), ("emails", CustomerEmail, "address")):
        mine = list(model.objects.filter(customer=survivor).values_list(column, flat=True))
        rows = model.objects.filter(customer=duplicate).exclude(**{f"{column}__in": mine})
        moved[key] = rows.update(customer=survivor, is_primary=False) if mine else rows.update(customer=survivor)
    for name, _label in _customer_m2m():
        through = getattr(Customer, name).through
        target = getattr(Customer, name).field.m2m_reverse_field_name()
        mine = set(through.objects.filter(customer=survivor).values_list(f"{target}_id", flat=True))
        theirs = through.objects.filter(customer=duplicate).values_list(f"{target}_id", flat=True)
        added = [pk for pk in theirs if pk not in mine]
        getattr(survivor, name).add(*added)
        moved[name] = len(added)
    return moved


def customer_merge(*, survivor: Customer, duplicate: Customer, user: User | None) -> CustomerMerge:
    """Fold ``duplicate`` into ``survivor`` and delete it; every related record moves to the
    survivor. Raises ``MergeRefused`` (writing nothing) when the merge cannot be done."""
    if survivor.pk == duplicate.pk:
        raise MergeRefused(_("A customer cannot be merged into itself."))
    with transaction.atomic():
        # Lock both in a fixed order, so two merges of the same pair cannot deadlock.
        locked = {
            customer.pk: customer
            for customer in Customer.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeRefused(_("One of the customers no longer exists; it may have been merged already."))
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        contacts = _contacts_of(duplicate, survivor)
        problems = _problems(survivor, duplicate, contacts.count())
        if problems:
            raise MergeRefused(problems)

        snapshot = _snapshot(duplicate)
        for decision in _field_plan(survivor, duplicate):
            if decision.value != getattr(survivor, Customer._meta.get_field(decision.name).attname):
                setattr(survivor, Customer._meta.get_field(decision.name).attname, decision.value)
        # Save now: the duplicate's organisation link may have been the survivor's, and the
        # survivor must stop pointing at the duplicate before it goes.
        survivor.full_clean(exclude=["search_text", "name_key"])
        survivor._change_reason = (_("Merged %(code)s into this customer") % {"code": duplicate.code})[:100]
        survivor._history_user = user
        survivor.save()

        moved = _move_contacts(survivor, duplicate)
        moved["contacts"] = contacts.update(organisation=survivor)
        moved["interactions"] = Interaction.objects.filter(customer=duplicate).update(customer=survivor)
        for name, hook in list(_hooks.items()):
            moved[name] = int(hook(survivor, duplicate) or 0)
        moved.update(_move_remaining(survivor, duplicate))

        record = CustomerMerge.objects.create(
            survivor=survivor,
            merged_code=duplicate.code,
            merged_name=duplicate.name,
            merged_data=snapshot,
            moved=moved,
            merged_by=user,
        )
        duplicate._change_reason = (_("Merged into %(code)s") % {"code": survivor.code})[:100]
        duplicate._history_user = user
        duplicate.delete()
        customers_refresh_derived(customer_ids=[survivor.pk])
        interaction_record(
            customer=survivor,
            kind=Interaction.Kind.SYSTEM,
            user=user,
            subject=_("Merged %(code)s %(name)s into this customer") % {"code": duplicate.code, "name": duplicate.name},
            body=_merge_summary(moved),
            source=record,
        )
    return record


def _builtin_labels() -> dict[str, str]:
    return {
        "phones": _("Phone numbers"),
        "emails": _("Email addresses"),
        **dict(_customer_m2m()),
        "contacts": _("Contact persons"),
        "interactions": _("Timeline entries"),
    }


def moved_labels(moved: dict[str, int]) -> list[tuple[str, int]]:
    """A merge record's ``moved`` counts with readable labels, for pages and the timeline."""
    builtin = _builtin_labels()
    labelled = []
    for key, count in moved.items():
        label = str(builtin.get(key) or _hook_labels.get(key) or key)
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


def _merge_summary(moved: dict[str, int]) -> str:
    lines = [f"{label}: {count}" for label, count in moved_labels(moved) if count]
    return "\n".join(lines) if lines else _("No related records moved.")
