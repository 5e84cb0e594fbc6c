"""Segment rules: the catalogue of fields a condition can test, validation of a rule tree, and
its compilation to one query.

A rule tree is ``{"match": "all" | "any", "conditions": [...]}`` where each condition is either
``{"field": <name>, "op": <operator>, "value": ..., ["days": N]}`` or another group (optionally
``"negate": true``); ``{}`` or no conditions means every customer. The fields and their
operators are listed in ``catalogue.FIELDS``.

    cleaned = validate_rules(tree)                  # ValidationError with a readable message
    Customer.objects.filter(rules_q(cleaned, now=now))
"""

from marketing.rules.catalogue import FIELDS, FIELDS_BY_NAME, OPERATORS, SECTIONS
from marketing.rules.compiler import REAL_ORDER_STATUSES, rules_q
from marketing.rules.validation import MAX_DEPTH, validate_rules
from marketing.rules.words import describe_rules

__all__ = [
    "FIELDS",
    "FIELDS_BY_NAME",
    "MAX_DEPTH",
    "OPERATORS",
    "REAL_ORDER_STATUSES",
    "SECTIONS",
    "describe_rules",
    "rules_q",
    "validate_rules",
]
