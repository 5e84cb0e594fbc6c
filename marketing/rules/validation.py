"""Checking a rule tree before it is saved or compiled: readable errors, and a cleaned copy.

Errors name where the problem is ("Condition 2.1: ...", counting from 1 within each group), so
the form builder and an automation rule's page can show them as they are.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketing.rules.catalogue import (
    CHOICE,
    DATE,
    DAYS,
    DECIMAL,
    FIELDS_BY_NAME,
    FLOAT,
    ID,
    INT,
    LIST,
    NOTHING,
    OPERATORS,
    SCALAR,
    TEXT,
    Field,
)

MAX_DEPTH = 4  # groups nested deeper than this are refused (the root group is level 1)
MAX_CONDITIONS = 60  # over the whole tree
MAX_LIST = 500  # values in one "is any of" list
MAX_DAYS = 36500
MATCHES = ("all", "any")


class _Checker:
    def __init__(self):
        self.conditions = 0
        # model label -> {id: where it was used}: existence is checked in one query per model.
        self.ids: dict[str, dict[int, str]] = {}

    def group(self, node, number: str, depth: int) -> dict:
        where = _("Group %(n)s") % {"n": number} if number else _("The rule")
        if not isinstance(node, dict):
            raise ValidationError(_("%(where)s: a group must be an object.") % {"where": where})
        if depth > MAX_DEPTH:
            raise ValidationError(
                _("%(where)s: groups are nested more than %(max)s levels deep.") % {"where": where, "max": MAX_DEPTH}
            )
        match = node.get("match", "all")
        if match not in MATCHES:
            raise ValidationError(
                _("%(where)s: “match” must be “all” or “any”, not “%(match)s”.") % {"where": where, "match": match}
            )
        conditions = node.get("conditions", [])
        if not isinstance(conditions, list):
            raise ValidationError(_("%(where)s: “conditions” must be a list.") % {"where": where})
        cleaned = []
        for index, child in enumerate(conditions, start=1):
            child_number = f"{number}.{index}" if number else str(index)
            if isinstance(child, dict) and "conditions" in child:
                group = self.group(child, child_number, depth + 1)
                if group["conditions"]:  # an empty group adds nothing
                    cleaned.append(group)
            else:
                cleaned.append(self.condition(child, _("Condition %(n)s") % {"n": child_number}))
        result = {"match": match, "conditions": cleaned}
        if node.get("negate"):
            result["negate"] = True
        return result

    def condition(self, node, where: str) -> dict:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise ValidationError(_("A rule may have at most %(max)s conditions.") % {"max": MAX_CONDITIONS})
        if not isinstance(node, dict):
            raise ValidationError(_("%(where)s: a condition must be an object.") % {"where": where})
        name = node.get("field")
        field_def = FIELDS_BY_NAME.get(name) if isinstance(name, str) else None
        if field_def is None:
            raise ValidationError(_("%(where)s: unknown field “%(field)s”.") % {"where": where, "field": name})
        op = node.get("op")
        if op not in field_def.ops:
            allowed = ", ".join(field_def.ops)
            raise ValidationError(
                _("%(where)s: “%(field)s” does not take the operator “%(op)s” (use one of: %(allowed)s).")
                % {"where": where, "field": field_def.label, "op": op, "allowed": allowed}
            )
        where = f"{where} ({field_def.label})"
        cleaned = {"field": name, "op": op, "value": self.value(field_def, op, node.get("value"), where)}
        if field_def.window:
            days = node.get("days")
            if days in (None, ""):
                cleaned["days"] = None
            else:
                cleaned["days"] = self.days(days, where)
        return cleaned

    def value(self, field_def: Field, op: str, value, where: str):
        kind = OPERATORS[op].value
        if kind == NOTHING:
            return None
        if kind == DAYS:
            return self.days(value, where)
        if kind == DATE:
            return self.date(value, where)
        if kind == SCALAR:
            return self.scalar(field_def, value, where)
        if kind == LIST:
            if not isinstance(value, list) or not value:
                raise ValidationError(_("%(where)s: choose at least one value.") % {"where": where})
            if len(value) > MAX_LIST:
                raise ValidationError(
                    _("%(where)s: at most %(max)s values in one list.") % {"where": where, "max": MAX_LIST}
                )
            items = [self.scalar(field_def, item, where) for item in value]
            return list(dict.fromkeys(items))  # no repeats, order kept
        raise AssertionError(kind)

    def scalar(self, field_def: Field, value, where: str):
        vtype = field_def.value_type
        if vtype == CHOICE:
            value = str(value).strip() if isinstance(value, (str, int)) else None
            keys = {str(key) for key, _label in field_def.choices}
            if not value or value not in keys:
                raise ValidationError(
                    _("%(where)s: “%(value)s” is not one of the choices.") % {"where": where, "value": value}
                )
            return value
        if vtype == ID:
            try:
                pk = int(value)
            except (TypeError, ValueError):
                pk = 0
            if pk <= 0 or isinstance(value, bool):
                raise ValidationError(_("%(where)s: “%(value)s” is not a valid id.") % {"where": where, "value": value})
            self.ids.setdefault(field_def.model, {})[pk] = where
            return pk
        if vtype == TEXT:
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(_("%(where)s: enter a text.") % {"where": where})
            if len(value) > 200:
                raise ValidationError(_("%(where)s: the text is too long.") % {"where": where})
            return value.strip()
        if vtype in (INT, DECIMAL, FLOAT):
            return self.number(field_def, value, where)
        raise AssertionError(vtype)

    def number(self, field_def: Field, value, where: str):
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value).strip().replace(",", ""))
            if not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise ValidationError(
                _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
            ) from None
        if field_def.value_type == INT and number != number.to_integral_value():
            raise ValidationError(_("%(where)s: enter a whole number.") % {"where": where})
        low, high = field_def.minimum, field_def.maximum
        if low is None:
            low = 0 if field_def.value_type != FLOAT else None
        if low is not None and number < Decimal(str(low)):
            raise ValidationError(_("%(where)s: the value must be at least %(min)s.") % {"where": where, "min": low})
        if high is not None and number > Decimal(str(high)):
            raise ValidationError(_("%(where)s: the value must be at most %(max)s.") % {"where": where, "max": high})
        if field_def.value_type == INT:
            return int(number)
        if field_def.value_type == FLOAT:
            return float(number)
        return str(number.quantize(Decimal("0.01")))

    def days(self, value, where: str) -> int:
        try:
            if isinstance(value, bool):
                raise ValueError
            days = int(str(value).strip())
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= MAX_DAYS:
            raise ValidationError(
                _("%(where)s: the number of days must be between 1 and %(max)s.") % {"where": where, "max": MAX_DAYS}
            )
        return days

    def date(self, value, where: str) -> str:
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(
                _("%(where)s: “%(value)s” is not a date (YYYY-MM-DD).") % {"where": where, "value": value}
            ) from None

    def check_ids_exist(self) -> None:
        for label, wanted in self.ids.items():
            model = apps.get_model(label)
            found = set(model._default_manager.filter(pk__in=list(wanted)).values_list("pk", flat=True))
            for pk, where in wanted.items():
                if pk not in found:
                    raise ValidationError(
                        _("%(where)s: no %(model)s has the id %(pk)s.")
                        % {"where": where, "model": model._meta.verbose_name, "pk": pk}
                    )


def validate_rules(tree) -> dict:
    """Check ``tree`` and return a cleaned copy (values normalised, unknown keys and empty groups
    dropped); raise ``ValidationError`` with a readable message on the first problem.

    ``{}`` or a group without conditions is valid and means every customer.
    """
    if tree in (None, "", {}):
        return {"match": "all", "conditions": []}
    checker = _Checker()
    cleaned = checker.group(tree, "", 1)
    checker.check_ids_exist()
    return cleaned
