"""Pagination for lists over large tables.

Counting every matching row of a 100,000-row table costs tens of milliseconds on each page view,
only to print a total nobody reads past "many". ``CappedPaginator`` counts up to ``cap`` rows
(``COUNT(*)`` over a ``LIMIT cap + 1`` subquery, which stops early) and reports "10,000+" beyond.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = DEFAULT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # No ORDER BY: which rows are counted does not matter, and sorting them all would.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        """True when there are more rows than were counted (pages past the cap are not offered)."""
        return self._counted > self.cap
