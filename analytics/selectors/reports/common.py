"""What every report page shares: the user's scope over customer-based rows, the snapshots the
nightly computation writes, and the JSON money of snapshots turned back into Decimal."""

from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from analytics.models import AnalyticsSettings, ReportSnapshot
from crm_site.access import Scope, record_scope, scope_queryset
from crm_site.models import User

FAMILY = "analytics"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def customer_scoped(queryset: QuerySet, user: User, *, path: str = "customer__") -> QuerySet:
    """Rows about a customer (CustomerValue, CustomerStats...) narrowed to the customers whose
    figures ``user`` may see: a manager's team's, a rep's own, everyone's for admins."""
    return scope_queryset(queryset, user, FAMILY, owner_field=f"{path}owner", team_field=f"{path}team")


def analytics_scope(user: User) -> Scope:
    return record_scope(user, FAMILY)


def scope_note(scope: Scope) -> str:
    """The sentence a page shows when its figures cover only part of the base."""
    if scope == Scope.OWN:
        return _("These figures cover your customers only.")
    if scope == Scope.TEAM:
        return _("These figures cover your team's customers only.")
    return ""


def settings_read() -> AnalyticsSettings:
    """The settings in force, read without writing: the defaults until someone saves them (a
    page view never creates the row, and costs one query)."""
    return AnalyticsSettings.objects.filter(pk=1).first() or AnalyticsSettings(pk=1)


def snapshot_get(kind: str, variant: str = "") -> ReportSnapshot | None:
    return ReportSnapshot.objects.filter(kind=kind, variant=variant).first()


def as_money(value: str | int | float | Decimal | None) -> Decimal:
    """Money from a snapshot (a string of a Decimal with two places) or an aggregate."""
    if value is None or value == "":
        return ZERO
    return Decimal(str(value)).quantize(CENT)


def share(part: Decimal | int | float, whole: Decimal | int | float) -> float | None:
    """``part`` of ``whole`` as a fraction, or None when there is no whole."""
    if not whole:
        return None
    return float(part) / float(whole)
