"""Pages of the plumbing: home, notifications, health."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from crm_site.access import area_required, can_use_area
from crm_site.health import health_report
from crm_site.selectors import notifications_for
from crm_site.services import notifications_mark_read

PAGE_SIZE = 25


@require_GET
@never_cache
@login_not_required
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


def home(request):
    if not can_use_area(request.user, "home"):
        # Contractors have one place in the CRM: their portal.
        if can_use_area(request.user, "portal"):
            return redirect("portal:index")
        raise PermissionDenied
    return render(request, "home.html", {})


home.access_area = "home"


@area_required("notifications")
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    notifications = notifications_for(user=request.user, unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm_site/notification_list.html", {"page_obj": page, "unread_only": unread_only})


@require_POST
@area_required("notifications")
def notification_open(request, pk: int):
    """Mark one notification read and follow its link."""
    notification = get_object_or_404(notifications_for(user=request.user), pk=pk)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("notifications")


@require_POST
@area_required("notifications")
def notification_mark_all_read(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("notifications")
