"""What the base template needs on every page: the navigation the user may use and the bell."""

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from crm_site.access import can_use_area
from crm_site.selectors import notifications_unread_count

# (area, label, URL name, Bootstrap icon). Each entry shows only to roles allowed in its area.
NAVIGATION = [
    ("home", _("Home"), "home", "house"),
    ("customers", _("Customers"), "customers:index", "people"),
    ("sales", _("Sales"), "sales:index", "graph-up-arrow"),
    ("service", _("Service"), "service:index", "life-preserver"),
    ("marketing", _("Marketing"), "marketing:index", "megaphone"),
    ("analytics", _("Analytics"), "analytics:index", "bar-chart-line"),
    ("portal", _("Work orders"), "portal:index", "tools"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        {"area": area, "label": label, "url_name": url_name, "icon": icon}
        for area, label, url_name, icon in NAVIGATION
        if can_use_area(user, area)
    ]
    return {
        "nav_items": items,
        "nav_can_notify": can_use_area(user, "notifications"),
        "nav_unread_count": SimpleLazyObject(lambda: notifications_unread_count(user=user)),
    }
