"""``customer_merge``: fold a duplicate into the survivor in one transaction, then delete it.

Fills the survivor's blank fields, moves contacts, classification, contact persons and the
timeline, runs the registered hooks, then the generic relation pass; records a ``CustomerMerge``
with a snapshot of the duplicate and a timeline entry on the survivor.
"""

import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from crm_site.models import User
from customers.merge.fields import field_plan
from customers.merge.hooks import MergeRefused, registered_merge_hooks
from customers.merge.labels import customer_m2m, merge_summary
from customers.merge.preview import contacts_of, merge_problems
from customers.merge.relations import move_remaining
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerMerge,
    CustomerPhone,
    CustomerStats,
    Interaction,
)
from customers.services import customers_refresh_derived, interaction_record


def _stats_of(customer: Customer) -> CustomerStats | None:
    try:
        return customer.stats
    except ObjectDoesNotExist:
        return None


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
    for name, _label in customer_m2m():
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
        contacts = contacts_of(duplicate, survivor)
        problems = merge_problems(survivor, duplicate, contacts.count())
        if problems:
            raise MergeRefused(problems)

        snapshot = _snapshot(duplicate)
        for decision in field_plan(survivor, duplicate):
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
        for name, hook in registered_merge_hooks().items():
            moved[name] = int(hook(survivor, duplicate) or 0)
        moved.update(move_remaining(survivor, duplicate))

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
            body=merge_summary(moved),
            source=record,
        )
    return record
