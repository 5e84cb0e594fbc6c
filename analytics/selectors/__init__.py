"""Reads of the analytics pages, already scoped to the user: the managers' dashboard
(``dashboard``) and the computation runs (``runs``). The report pages have their own modules."""
