"""The access module: pages by role, rows by own/team/all scope, deny by default."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm_site.access import (
    AREA_ROLES,
    Action,
    Role,
    Scope,
    can_use_area,
    get_for_user_or_404,
    record_scope,
    scope_queryset,
    user_roles,
)
from crm_site.models import Notification, User
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every area's landing page and the personas allowed into it.
AREA_PAGES = {
    "home": ("home", {"admin", "manager", "rep", "marketer", "agent"}),
    "notifications": ("notifications", {"admin", "manager", "rep", "marketer", "agent"}),
    "account": ("password_change", {"admin", "manager", "rep", "marketer", "agent", "contractor"}),
    "customers": ("customers:index", {"admin", "manager", "rep", "marketer", "agent"}),
    "sales": ("sales:index", {"admin", "manager", "rep"}),
    "sales_setup": ("sales:setup", {"admin", "manager"}),
    "service": ("service:index", {"admin", "manager", "agent"}),
    "marketing": ("marketing:index", {"admin", "manager", "marketer"}),
    "analytics": ("analytics:index", {"admin", "manager", "marketer", "rep"}),
    "portal": ("portal:index", {"contractor"}),
}


# Areas that gate actions inside other pages rather than pages of their own; each is tested
# with the feature it gates (e.g. customer_setup in tests/customers).
ACTION_AREAS = {"customer_setup", "service_setup", "analytics_setup"}


def test_every_area_has_a_page_under_test():
    assert set(AREA_PAGES) | ACTION_AREAS == set(AREA_ROLES)


@pytest.mark.parametrize("area", sorted(AREA_PAGES))
def test_each_area_page_admits_exactly_its_roles(area, personas, client):
    url_name, allowed = AREA_PAGES[area]
    url = reverse(url_name)
    for name, user in personas.items():
        if name in {"rep2", "outsider_rep"}:
            continue
        client.force_login(user)
        response = client.get(url)
        if name in allowed:
            assert response.status_code == 200, (area, name)
        elif area == "home" and name == "contractor":
            assert response.status_code == 302 and response.url == reverse("portal:index")
        else:
            assert response.status_code == 403, (area, name)


@pytest.mark.parametrize("url_name", sorted({page for page, _roles in AREA_PAGES.values()}))
def test_anonymous_users_are_sent_to_login(url_name, client):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_a_user_without_a_role_is_denied_everywhere(client):
    client.force_login(UserFactory(username="norole"))
    for url_name, _allowed in AREA_PAGES.values():
        assert client.get(reverse(url_name)).status_code == 403


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the admin checks is_staff and model permissions itself
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_view_declares_an_area_or_is_deliberately_public():
    """Deny by default: a new view that forgets its access check fails this test."""
    public = {"healthz", "accounts/login/", "i18n/setlang/"}
    any_logged_in_user = {"accounts/logout/"}
    for route, view in _walk(get_resolver().url_patterns):
        if route in any_logged_in_user:
            continue
        if route in public or getattr(view, "access_public", False):
            assert getattr(view, "login_required", True) is False, route
            continue
        area = getattr(view, "access_area", None) or getattr(getattr(view, "view_class", None), "access_area", None)
        assert area in AREA_ROLES, f"{route} declares no access area"


def test_scope_follows_the_widest_role(manager, rep, marketer, admin, contractor):
    assert record_scope(rep, "sales") == Scope.OWN
    assert record_scope(manager, "sales") == Scope.TEAM
    assert record_scope(admin, "sales") == Scope.ALL
    assert record_scope(marketer, "sales") == Scope.NONE
    assert record_scope(contractor, "customers") == Scope.NONE
    rep.groups.add(manager.groups.get())
    rep._crm_roles = None
    assert user_roles(rep) == {Role.SALES_REP, Role.MANAGER}
    assert record_scope(rep, "sales") == Scope.TEAM


def test_anonymous_and_inactive_users_reach_nothing(rep):
    anonymous = AnonymousUser()
    assert record_scope(anonymous, "customers") == Scope.NONE
    assert not can_use_area(anonymous, "home")
    rep.is_active = False
    assert record_scope(rep, "sales") == Scope.NONE
    assert not can_use_area(rep, "sales")


def test_unknown_areas_and_families_are_errors_not_silent_grants(rep):
    with pytest.raises(KeyError):
        can_use_area(rep, "payroll")
    with pytest.raises(KeyError):
        record_scope(rep, "payroll")


def _rows_by_owner(personas):
    return {name: NotificationFactory(recipient=user) for name, user in personas.items()}


def test_own_team_and_all_scopes_on_rows(personas):
    rows = _rows_by_owner(personas)
    qs = Notification.objects.all()

    def visible(user):
        return set(scope_queryset(qs, user, "sales", owner_field="recipient", team_field=None))

    assert visible(personas["rep"]) == {rows["rep"]}
    assert visible(personas["manager"]) == {rows["manager"], rows["rep"], rows["rep2"]}
    assert visible(personas["admin"]) == set(rows.values())
    assert visible(personas["marketer"]) == set()
    assert visible(personas["contractor"]) == set()


def test_team_scope_also_reaches_rows_filed_under_the_team(personas, sales_team):
    # Users are filed under their team and have no owner.
    visible = set(scope_queryset(User.objects.all(), personas["manager"], "sales", owner_field=None))
    assert visible == {personas["rep"], personas["rep2"], personas["manager"]}
    assert set(scope_queryset(User.objects.all(), personas["rep"], "sales", owner_field=None)) == set()


def test_get_for_user_or_404_distinguishes_unseen_from_unchangeable(personas):
    rows = _rows_by_owner(personas)
    kwargs = {"owner_field": "recipient", "team_field": None}
    qs = Notification.objects.all()
    assert get_for_user_or_404(qs, personas["rep"], "sales", pk=rows["rep"].pk, **kwargs) == rows["rep"]
    with pytest.raises(Http404):
        get_for_user_or_404(qs, personas["rep"], "sales", pk=rows["rep2"].pk, **kwargs)
    # Marketing may see every customer but change none of them.
    customer_kwargs = {"owner_field": "recipient", "team_field": None}
    assert get_for_user_or_404(qs, personas["marketer"], "customers", pk=rows["rep"].pk, **customer_kwargs)
    with pytest.raises(PermissionDenied):
        get_for_user_or_404(qs, personas["marketer"], "customers", Action.CHANGE, pk=rows["rep"].pk, **customer_kwargs)


def test_roles_are_read_once_per_request(rep, django_assert_num_queries):
    with django_assert_num_queries(1):
        for _ in range(5):
            user_roles(rep)


def test_url_names_are_unique_within_each_namespace():
    """Two views under one name make reverse() silently pick one of them."""
    seen: dict[str, str] = {}
    duplicates = []

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif pattern.name:
                key = namespace + pattern.name
                if key in seen:
                    duplicates.append((key, seen[key], prefix + str(pattern.pattern)))
                seen[key] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns)
    assert duplicates == []
