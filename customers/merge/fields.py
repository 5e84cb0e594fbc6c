"""What a merge does with each of the customer's own fields: keep, fill, combine or nothing."""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from customers.models import Customer


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


def field_plan(survivor: Customer, duplicate: Customer) -> list[FieldDecision]:
    """One decision per merged field: what the survivor holds after the merge, and why."""
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
