"""Who may do what: the one place every app asks.

Two questions, both deny-by-default:

* "May this user use this page?" Pages belong to an *area* (customers, sales, service, ...).
  ``AREA_ROLES`` lists the roles allowed into each area; a view declares its area with
  ``@area_required`` (or ``AreaRequiredMixin``). A view that declares no area is refused, and a
  test walks every URL to make sure each one declares an area or is deliberately public.
* "Which rows of this model may this user see / change?" Rows belong to a *family* (the app that
  owns them). ``RECORD_SCOPES`` gives each role a scope per family and action: all rows, the
  rows of their team(s), their own rows, or none. ``scope_queryset`` turns that into a filter,
  and ``get_for_user_or_404`` fetches one row the same way for every view.
"""

from collections.abc import Callable
from enum import IntEnum, StrEnum
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404


class Role(StrEnum):
    """Roles are Django groups with these names (created by a migration)."""

    ADMIN = "Admin"
    MANAGER = "Manager"
    SALES_REP = "Sales rep"
    MARKETING = "Marketing"
    SERVICE_AGENT = "Service agent"
    CONTRACTOR = "Contractor"


STAFF_ROLES = frozenset(Role) - {Role.CONTRACTOR}


class Scope(IntEnum):
    """How many rows a role reaches; a user with several roles gets the widest."""

    NONE = 0
    OWN = 1
    TEAM = 2
    ALL = 3


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


# Which roles may use each area's pages. Superusers may use every area.
AREA_ROLES: dict[str, frozenset[Role]] = {
    "home": STAFF_ROLES,
    "notifications": STAFF_ROLES,
    "account": frozenset(Role),  # password change: contractors need it too
    "customers": STAFF_ROLES,
    # Shared classification (groups, tags, sources) and bulk tools that touch many customers.
    "customer_setup": frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
    "sales": frozenset({Role.ADMIN, Role.MANAGER, Role.SALES_REP}),
    # The sales process's configuration: pipelines and stages, loss reasons, lead assignment and
    # scoring rules, the product catalogue and the after-sale messages.
    "sales_setup": frozenset({Role.ADMIN, Role.MANAGER}),
    "service": frozenset({Role.ADMIN, Role.MANAGER, Role.SERVICE_AGENT}),
    # The service process's configuration: assignment rules, SLA policies and calendars,
    # categories and skills, contractors, the service settings.
    "service_setup": frozenset({Role.ADMIN, Role.MANAGER}),
    "marketing": frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
    # Reps see their own figures (the "analytics" record family below narrows every report).
    "analytics": frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.SALES_REP}),
    # Recomputing the figures and changing what they assume (costs, discount rate, horizon).
    "analytics_setup": frozenset({Role.ADMIN, Role.MANAGER}),
    "portal": frozenset({Role.CONTRACTOR}),
}

_A, _T, _O = Scope.ALL, Scope.TEAM, Scope.OWN
# family -> action -> role -> scope. A role missing from a row has Scope.NONE.
RECORD_SCOPES: dict[str, dict[Action, dict[Role, Scope]]] = {
    # Reps work their own customers and managers their team's. Marketing segments and service
    # agents answer callers across the whole base, so they see every customer but change none.
    "customers": {
        Action.VIEW: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SALES_REP: _O, Role.MARKETING: _A, Role.SERVICE_AGENT: _A},
        Action.CHANGE: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SALES_REP: _O},
    },
    "sales": {
        Action.VIEW: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SALES_REP: _O},
        Action.CHANGE: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SALES_REP: _O},
    },
    "service": {
        Action.VIEW: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SERVICE_AGENT: _T},
        Action.CHANGE: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SERVICE_AGENT: _O},
    },
    "marketing": {
        Action.VIEW: {Role.ADMIN: _A, Role.MANAGER: _A, Role.MARKETING: _A},
        Action.CHANGE: {Role.ADMIN: _A, Role.MANAGER: _A, Role.MARKETING: _A},
    },
    # Figures and reports: managers see their team's, reps their own, admins and marketing all.
    # Rows are the figures' owner and team (of the customer, the order or the ticket counted).
    "analytics": {
        Action.VIEW: {Role.ADMIN: _A, Role.MANAGER: _T, Role.SALES_REP: _O, Role.MARKETING: _A},
        Action.CHANGE: {Role.ADMIN: _A, Role.MANAGER: _T},
    },
}


# A model permission that lifts a user's scope on a family to all rows (e.g. a manager trusted
# with every customer, or a rep covering for a colleague), granted per user or group in the admin.
ALL_ROWS_PERMISSION: dict[str, str] = {
    "customers": "customers.access_all_customers",
}


def user_roles(user) -> frozenset[Role]:
    """The user's roles, read once per user object (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset({Role.ADMIN})
        else:
            names = set(user.groups.values_list("name", flat=True))
            cached = frozenset(role for role in Role if role.value in names)
        user._crm_roles = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def team_ids(user) -> frozenset[int]:
    """The teams whose rows count as the user's team: the one they belong to and those they lead."""
    cached = getattr(user, "_crm_team_ids", None)
    if cached is None:
        led = set(user.led_teams.values_list("id", flat=True)) if user.is_authenticated else set()
        cached = frozenset(led | ({user.team_id} if getattr(user, "team_id", None) else set()))
        user._crm_team_ids = cached
    return cached


def team_member_ids(user) -> frozenset[int]:
    """The user and every member of the user's teams (one query, cached on the user object)."""
    cached = getattr(user, "_crm_team_member_ids", None)
    if cached is None:
        members = get_user_model().objects.filter(team__in=team_ids(user)).values_list("pk", flat=True)
        cached = frozenset({user.pk, *members})
        user._crm_team_member_ids = cached
    return cached


# --- pages -------------------------------------------------------------------------------------


def can_use_area(user, area: str) -> bool:
    if area not in AREA_ROLES:
        raise KeyError(f"Unknown access area {area!r}; add it to crm_site.access.AREA_ROLES.")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or bool(user_roles(user) & AREA_ROLES[area])


def area_required(area: str) -> Callable:
    """Decorate a view so that only the roles of ``area`` may use it (403 for the others)."""
    if area not in AREA_ROLES:
        raise KeyError(f"Unknown access area {area!r}.")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can_use_area(request.user, area):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_area = area
        return wrapped

    return decorator


def public_page(view):
    """Mark a view as deliberately open to anonymous visitors (a customer-facing page such as
    the lead web form or a survey link). Such a view checks its own token or rate limit."""
    from django.contrib.auth.decorators import login_not_required

    view = login_not_required(view)
    view.access_public = True
    return view


class AreaRequiredMixin:
    """Class-based twin of ``area_required``; set ``access_area`` on the view class."""

    access_area: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not self.access_area or not can_use_area(request.user, self.access_area):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- rows --------------------------------------------------------------------------------------


def record_scope(user, family: str, action: Action = Action.VIEW) -> Scope:
    if family not in RECORD_SCOPES:
        raise KeyError(f"Unknown record family {family!r}; add it to crm_site.access.RECORD_SCOPES.")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    table = RECORD_SCOPES[family][Action(action)]
    scope = max((table.get(role, Scope.NONE) for role in user_roles(user)), default=Scope.NONE)
    permission = ALL_ROWS_PERMISSION.get(family)
    if scope != Scope.ALL and permission and user.has_perm(permission):
        return Scope.ALL
    return scope


def scope_queryset(
    queryset: QuerySet,
    user,
    family: str,
    action: Action = Action.VIEW,
    *,
    owner_field: str | None = "owner",
    team_field: str | None = "team",
) -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may see (or change).

    ``owner_field`` names the user who owns a row and ``team_field`` the team the row is filed
    under; either may be None for models without one. Own scope reaches rows the user owns;
    team scope also reaches rows filed under one of the user's teams or owned by a member.
    """
    scope = record_scope(user, family, action)
    if scope == Scope.ALL:
        return queryset
    if scope == Scope.NONE:
        return queryset.none()
    condition = Q(pk__in=[])  # matches nothing; widened below
    teams = team_ids(user) if scope == Scope.TEAM else frozenset()
    if owner_field:
        # Owner ids rather than a join on the owner's team: the condition stays on the scoped
        # table's own indexed columns, which keeps counts over large tables fast.
        owners = team_member_ids(user) if teams else frozenset({user.pk})
        condition |= Q(**{f"{owner_field}__in": owners})
    if teams and team_field:
        condition |= Q(**{f"{team_field}__in": teams})
    return queryset.filter(condition)


def get_for_user_or_404(
    queryset: QuerySet,
    user,
    family: str,
    action: Action = Action.VIEW,
    *,
    owner_field: str | None = "owner",
    team_field: str | None = "team",
    **lookup,
):
    """Fetch one row the user may reach: 404 when they cannot see it, 403 when they can see it
    but ``action`` is "change" and they may not change it."""
    visible = scope_queryset(queryset, user, family, Action.VIEW, owner_field=owner_field, team_field=team_field)
    try:
        obj = visible.get(**lookup)
    except visible.model.DoesNotExist:
        raise Http404 from None
    if Action(action) == Action.CHANGE:
        changeable = scope_queryset(
            queryset, user, family, Action.CHANGE, owner_field=owner_field, team_field=team_field
        )
        if not changeable.filter(pk=obj.pk).exists():
            raise PermissionDenied
    return obj
