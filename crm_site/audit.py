"""Field-level audit with django-simple-history.

An app audits a model by giving it ``history = HistoricalRecords()`` and registering its admin
with ``AuditedAdmin``; ``HistoryRequestMiddleware`` records who made each change. The admin's
"History" page of a record then lists every version with the fields it changed.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin


def changed_fields(record) -> str:
    """The fields that differ between a historical record and the version before it."""
    previous = record.prev_record
    if previous is None:
        return str(_("created"))
    delta = record.diff_against(previous)
    return ", ".join(change.field for change in delta.changes) or "—"


class AuditedAdmin(SimpleHistoryAdmin):
    history_list_display = ["changes"]

    @admin.display(description=_("changed fields"))
    def changes(self, record) -> str:
        return changed_fields(record)
