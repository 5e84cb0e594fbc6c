"""A rule tree in words, for the segment's page ("Province is any of Tehran, Alborz and ...")."""

from django.apps import apps
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _

from marketing.rules.catalogue import CHOICE, DAYS, FIELDS_BY_NAME, ID, LIST, NOTHING, OPERATORS, op_label


def _names_for(tree: dict) -> dict[str, dict[int, str]]:
    """The names of every row a tree refers to, one query per model."""
    wanted: dict[str, set[int]] = {}

    def walk(node):
        for child in node.get("conditions", []):
            if "conditions" in child:
                walk(child)
                continue
            field_def = FIELDS_BY_NAME.get(child.get("field"))
            if field_def and field_def.value_type == ID and isinstance(child.get("value"), list):
                wanted.setdefault(field_def.model, set()).update(child["value"])

    walk(tree)
    return {
        label: {row.pk: str(row) for row in apps.get_model(label)._default_manager.filter(pk__in=ids)}
        for label, ids in wanted.items()
    }


def _value_words(field_def, cond: dict, names: dict) -> str:
    kind = OPERATORS[cond["op"]].value
    value = cond.get("value")
    if kind == NOTHING:
        return ""
    if kind == DAYS:
        return _("%(n)s days") % {"n": value}
    values = value if kind == LIST else [value]
    if field_def.value_type == CHOICE:
        labels = dict(field_def.choices)
        words = [str(labels.get(v, v)) for v in values]
    elif field_def.value_type == ID:
        words = [names.get(field_def.model, {}).get(v, f"#{v}") for v in values]
    elif isinstance(value, (int, float)) or field_def.value_type in ("decimal",):
        words = [number_format(v, force_grouping=True) if not isinstance(v, str) else v for v in values]
    else:
        words = [f"“{v}”" for v in values]
    return ", ".join(words)


def _condition_words(cond: dict, names: dict) -> str:
    field_def = FIELDS_BY_NAME.get(cond.get("field"))
    if field_def is None:
        return _("(unknown condition)")
    parts = [str(field_def.label), op_label(field_def, cond["op"]), _value_words(field_def, cond, names)]
    text = " ".join(part for part in parts if part)
    if field_def.window:
        text += " " + (_("in the last %(n)s days") % {"n": cond["days"]} if cond.get("days") else _("(all time)"))
    return text


def _group_words(node: dict, names: dict, top: bool) -> str:
    parts = []
    for child in node.get("conditions", []):
        parts.append(_group_words(child, names, False) if "conditions" in child else _condition_words(child, names))
    joiner = f" {_('or')} " if node.get("match") == "any" else f" {_('and')} "
    text = joiner.join(parts)
    if node.get("negate"):
        return str(format_lazy(_("not ({text})"), text=text))
    return text if top or len(parts) < 2 else f"({text})"


def describe_rules(tree: dict) -> str:
    """The tree as one sentence; "every customer" when it has no conditions."""
    if not tree or not tree.get("conditions"):
        return _("Every customer")
    return _group_words(tree, _names_for(tree), True)
