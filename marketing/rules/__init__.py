"""Segment rules: the catalogue of fields a condition can test, validation of a rule tree, and
its compilation to one query."""
