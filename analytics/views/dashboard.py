"""The managers' dashboard and its Excel export: the filters, one selector, render."""

from io import BytesIO

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.views.decorators.http import require_GET

from analytics.exports.dashboard import XLSX_CONTENT_TYPE, dashboard_export_write
from analytics.forms import DashboardFilterForm
from analytics.selectors.dashboard import Dashboard, dashboard_figures
from crm_site.access import area_required


def _dashboard(request: HttpRequest) -> tuple[DashboardFilterForm, Dashboard]:
    """The filters as given (the wrong parts replaced by the defaults) and the figures."""
    form = DashboardFilterForm(request.GET or None, user=request.user)
    today = timezone.localdate()
    filters = form.chosen(today=today)
    return form, dashboard_figures(user=request.user, filters=filters, today=today)


@require_GET
@area_required("analytics")
def index(request: HttpRequest) -> HttpResponse:
    form, dashboard = _dashboard(request)
    context = {"form": form, "dashboard": dashboard, "chart_data": dashboard.chart_data()}
    return render(request, "analytics/dashboard/index.html", context)


@require_GET
@area_required("analytics")
def export(request: HttpRequest) -> FileResponse:
    """The dashboard's figures for the same filters, as .xlsx."""
    _form, dashboard = _dashboard(request)
    target = BytesIO()
    dashboard_export_write(dashboard=dashboard, target=target, right_to_left=get_language_bidi())
    target.seek(0)
    period = dashboard.current
    filename = f"dashboard-{period.first_day.isoformat()}-{period.last_day.isoformat()}.xlsx"
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
