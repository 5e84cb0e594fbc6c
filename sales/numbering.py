"""Document numbers: Q-000123 for quotes, SO-000123 for orders, INV-000123 for invoices.

Numbers must be unique and should run in sequence (people read gaps in invoice numbers as lost
paper), without a counter table and without locking the whole table. The unique index on
``number`` is the referee:

1. read the number of the newest document of the kind (by primary key: one backwards step of the
   primary-key index) and take the next one;
2. insert the document inside a savepoint;
3. if another transaction took that number first, the unique index refuses our insert (on
   PostgreSQL the insert waits for the other transaction and fails once it commits). Roll back
   to the savepoint, read again (a fresh statement sees the committed winner) and try the number
   after both; a few attempts always suffice in practice, and the caller's transaction is
   never broken by the lost race.
"""

import re
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

QUOTE_PREFIX = "Q"
ORDER_PREFIX = "SO"
INVOICE_PREFIX = "INV"
DIGITS = 6
MAX_ATTEMPTS = 8

T = TypeVar("T", bound=models.Model)


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:0{DIGITS}d}"


def _latest_sequence(model: type[models.Model], prefix: str) -> int:
    """The sequence of the newest document whose number has the standard form (0 when none).

    Numbers of another form (imported, or hand-made in the admin) are skipped, not parsed."""
    pattern = rf"^{re.escape(prefix)}-[0-9]+$"
    number = (
        model._default_manager.filter(number__regex=pattern).order_by("-pk").values_list("number", flat=True).first()
    )
    return int(number.rsplit("-", 1)[1]) if number else 0


def save_with_number(*, instance: T, prefix: str, save: Callable[[T], None] | None = None) -> T:
    """Give ``instance`` the next free number of ``prefix`` and save it (race-free, see above).

    ``save`` performs the insert (default ``instance.save()``); it runs inside a savepoint, so
    anything it writes is rolled back with a lost attempt."""
    model = type(instance)
    candidate = 0
    for _attempt in range(MAX_ATTEMPTS):
        candidate = max(_latest_sequence(model, prefix), candidate) + 1
        instance.number = format_number(prefix, candidate)
        try:
            with transaction.atomic():
                if save is None:
                    instance.save()
                else:
                    save(instance)
        except IntegrityError:
            # Another constraint failed: not ours to retry.
            if not model._default_manager.filter(number=instance.number).exists():
                raise
            instance.pk = None
            continue
        return instance
    raise ValidationError(_("Could not allocate a document number; please try again."))
