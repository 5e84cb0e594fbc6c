"""The report pages of the analytics area (lifetime value, Pareto, RFM, churn, forecast, basket)
and their Excel exports. Thin: read the switches and filters, call a selector, render; each
export writes the same rows as its page with analytics/exports/reports.py."""

import tempfile
from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from django_filters import FilterSet

from analytics.exports import reports as exports
from analytics.filters import (
    CHURN_DEFAULTS,
    ChurnOptionsForm,
    KeyCustomerFilter,
    PairFilter,
    ParetoOptionsForm,
    StatsFilter,
    ValueFilter,
    page_options,
)
from analytics.models import AnalyticsSettings
from analytics.selectors.reports.basket import pair_rows
from analytics.selectors.reports.churn import call_list, lost_report
from analytics.selectors.reports.common import analytics_scope, scope_note, settings_read, share
from analytics.selectors.reports.forecast import forecast_report
from analytics.selectors.reports.pareto import PERIOD_ALL, PERIOD_RECENT, key_customers, pareto_report
from analytics.selectors.reports.rfm import (
    SEGMENT_DESCRIPTIONS,
    SEGMENT_LABELS,
    rfm_report,
    segment_customers,
    segment_label,
)
from analytics.selectors.reports.value import (
    RANK_HISTORIC,
    cross_sell,
    value_customer_get,
    value_explanation,
    value_rows,
    value_totals,
)
from crm_site.access import Scope, area_required, can_use_area
from crm_site.pagination import CappedPaginator

AREA = "analytics"
PAGE_SIZE = 25


def _filtered(filterset: FilterSet) -> QuerySet:
    """The filtered rows; filters that do not validate are left out (the page says which)."""
    return filterset.qs if filterset.is_bound else filterset.queryset


def _page(request: HttpRequest, rows: QuerySet, *, count: int | None = None) -> Page:
    paginator = CappedPaginator(rows, PAGE_SIZE)
    if count is not None:  # already known: no COUNT query
        paginator._counted = count
    return paginator.get_page(request.GET.get("page"))


def _customer_page(request: HttpRequest, rows: QuerySet, *, count: int | None = None) -> Page:
    """A page of customer rows in two steps: the page's keys in the list's order (a narrow
    query, so the scope's join and the sort over every row carry no other column), then those
    rows with everything they show. Two queries, whatever the page."""
    page = _page(request, rows.values_list("pk", flat=True), count=count)
    keys = list(page.object_list)
    loaded = rows.order_by().in_bulk(keys)
    page.object_list = [loaded[key] for key in keys]
    return page


def _common(request: HttpRequest) -> dict:
    scope = analytics_scope(request.user)
    return {
        "scope": scope,
        "scope_note": scope_note(scope),
        "sees_all": scope == Scope.ALL,
        "own_only": scope == Scope.OWN,
    }


def _xlsx(request: HttpRequest, rows: QuerySet | None, page: str, filename: str, write: Callable) -> HttpResponse:
    """Write an export to a temporary file and send it, or go back to the page with a message
    when the list is longer than an export written within the request may be."""
    if rows is not None and exports.too_many(rows):
        messages.error(
            request,
            _("The export is limited to %(limit)s rows: narrow the filters first.")
            % {"limit": f"{exports.EXPORT_MAX_ROWS:,}"},
        )
        query = request.GET.urlencode()
        return redirect(f"{reverse(page)}?{query}" if query else reverse(page))
    target = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    write(target)
    target.seek(0)
    name = f"{filename}-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(target, as_attachment=True, filename=name, content_type=exports.XLSX_CONTENT_TYPE)


# --- lifetime value ---------------------------------------------------------------------------


def _value_list(request: HttpRequest) -> tuple[ValueFilter, QuerySet, str]:
    value_filter = ValueFilter(request.GET or None, queryset=value_rows(user=request.user))
    rows = _filtered(value_filter)
    cleaned = getattr(value_filter.form, "cleaned_data", {}) if value_filter.is_bound else {}
    return value_filter, rows, cleaned.get("rank") or RANK_HISTORIC


@require_GET
@area_required(AREA)
def value_report(request):
    value_filter, rows, rank = _value_list(request)
    context = {
        **_common(request),
        "filter": value_filter,
        "rank": rank,
        "page_obj": _customer_page(request, rows),
        "totals": value_totals(rows),
        "explanation": value_explanation(),
    }
    return render(request, "analytics/reports/value.html", context)


@require_GET
@area_required(AREA)
def value_export(request):
    _filter, rows, rank = _value_list(request)
    return _xlsx(
        request,
        rows,
        "analytics:value",
        "lifetime-value",
        lambda target: exports.value_export_write(rows=rows, rank=rank, target=target),
    )


@require_GET
@area_required(AREA)
def value_suggestions(request, pk: int):
    """The 360° panel's cross-sell suggestions, loaded by htmx once the customer page is shown."""
    customer = value_customer_get(user=request.user, pk=pk)
    context = {
        "customer": customer,
        "suggestions": cross_sell(customer),
        "can_quote": can_use_area(request.user, "sales"),
    }
    return render(request, "analytics/panels/suggestions.html", context)


# --- Pareto -----------------------------------------------------------------------------------


def _pareto(request: HttpRequest):
    settings = settings_read()
    form = ParetoOptionsForm(request.GET or None, months=settings.pareto_months)
    default_period = PERIOD_RECENT if settings.pareto_months else PERIOD_ALL
    options = page_options(form, {"measure": settings.pareto_measure, "period": default_period})
    months = settings.pareto_months if options["period"] == PERIOD_RECENT else 0
    report = pareto_report(user=request.user, measure=options["measure"], months=months)
    key_filter = None
    if report is not None:
        key_filter = KeyCustomerFilter(request.GET or None, queryset=key_customers(user=request.user, report=report))
    return settings, form, options, report, key_filter


def _measure_label(measure: str, months: int) -> str:
    if measure == AnalyticsSettings.ParetoMeasure.REVENUE:
        if months:
            return ngettext("Revenue, last %(months)d month", "Revenue, last %(months)d months", months) % {
                "months": months
            }
        return _("Revenue, whole history")
    if months:
        return ngettext("Profit, last %(months)d month", "Profit, last %(months)d months", months) % {"months": months}
    return _("Profit, whole history")


def _key_page(request: HttpRequest, key_filter: KeyCustomerFilter, report) -> Page:
    """A page of key customers with each one's share of the total and segment name (the page's
    rows only: customer.stats came with the row)."""
    grouped = key_filter.is_bound and key_filter.is_valid() and key_filter.form.cleaned_data.get("group")
    # Without a group the list is class A itself, whose size the report already holds.
    page = _customer_page(request, _filtered(key_filter), count=None if grouped else report.key_customers)
    for row in page.object_list:
        stats = getattr(row.customer, "stats", None)  # None when the customer has no figures row
        row.share = share(row.measure, report.total)
        row.segment_label = segment_label(stats.rfm_segment) if stats else ""
    return page


@require_GET
@area_required(AREA)
def pareto(request):
    settings, form, options, report, key_filter = _pareto(request)
    context = {
        **_common(request),
        "settings": settings,
        "options_form": form,
        "options": options,
        "report": report,
        "filter": key_filter,
        "measure_label": _measure_label(report.measure, report.months) if report else "",
        "page_obj": _key_page(request, key_filter, report) if key_filter else None,
    }
    return render(request, "analytics/reports/pareto.html", context)


@require_GET
@area_required(AREA)
def pareto_export(request):
    _settings, _form, _options, report, key_filter = _pareto(request)
    if report is None:
        raise Http404
    rows = _filtered(key_filter)
    label = _measure_label(report.measure, report.months)
    return _xlsx(
        request,
        rows,
        "analytics:pareto",
        "key-customers",
        lambda target: exports.key_customers_export_write(rows=rows, report=report, measure_label=label, target=target),
    )


# --- RFM --------------------------------------------------------------------------------------


@require_GET
@area_required(AREA)
def rfm(request):
    report = rfm_report(user=request.user)
    return render(request, "analytics/reports/rfm.html", {**_common(request), "report": report})


@require_GET
@area_required(AREA)
def rfm_export(request):
    report = rfm_report(user=request.user)
    if report is None:
        raise Http404
    return _xlsx(
        request, None, "analytics:rfm", "rfm", lambda target: exports.rfm_export_write(report=report, target=target)
    )


def _segment(request: HttpRequest, code: str) -> tuple[StatsFilter, QuerySet]:
    if code not in SEGMENT_LABELS:
        raise Http404
    segment_filter = StatsFilter(request.GET or None, queryset=segment_customers(user=request.user, code=code))
    return segment_filter, _filtered(segment_filter)


@require_GET
@area_required(AREA)
def rfm_segment(request, code: str):
    segment_filter, rows = _segment(request, code)
    context = {
        **_common(request),
        "code": code,
        "label": segment_label(code),
        "description": SEGMENT_DESCRIPTIONS[code],
        "filter": segment_filter,
        "page_obj": _customer_page(request, rows),
    }
    return render(request, "analytics/reports/rfm_segment.html", context)


@require_GET
@area_required(AREA)
def rfm_segment_export(request, code: str):
    _filter, rows = _segment(request, code)
    return _xlsx(
        request,
        rows,
        "analytics:rfm",
        f"rfm-{code}",
        lambda target: exports.segment_customers_export_write(rows=rows, target=target, sheet=segment_label(code)),
    )


# --- churn ------------------------------------------------------------------------------------


def _lost(request: HttpRequest, settings: AnalyticsSettings):
    form = ChurnOptionsForm(request.GET or None)
    options = page_options(form, CHURN_DEFAULTS)
    report = lost_report(key=options["period"], today=timezone.localdate(), inactive_days=settings.inactive_days)
    return form, options, report


def _calls(request: HttpRequest) -> tuple[StatsFilter, QuerySet]:
    call_filter = StatsFilter(request.GET or None, queryset=call_list(user=request.user))
    return call_filter, _filtered(call_filter)


@require_GET
@area_required(AREA)
def churn(request):
    settings = settings_read()
    form, options, report = _lost(request, settings)
    call_filter, rows = _calls(request)
    context = {
        **_common(request),
        "options_form": form,
        "options": options,
        "lost": report,
        "settings": settings,
        "filter": call_filter,
        "page_obj": _customer_page(request, rows),
    }
    return render(request, "analytics/reports/churn.html", context)


@require_GET
@area_required(AREA)
def churn_export(request):
    _filter, rows = _calls(request)
    return _xlsx(
        request,
        rows,
        "analytics:churn",
        "who-to-call",
        lambda target: exports.call_list_export_write(rows=rows, target=target),
    )


@require_GET
@area_required(AREA)
def churn_lost_export(request):
    _form, options, report = _lost(request, settings_read())
    if report is None:
        raise Http404
    return _xlsx(
        request,
        None,
        "analytics:churn",
        f"customers-lost-{options['period']}",
        lambda target: exports.lost_export_write(report=report, target=target),
    )


# --- forecast ---------------------------------------------------------------------------------


@require_GET
@area_required(AREA)
def forecast(request):
    report = forecast_report(user=request.user, today=timezone.localdate())
    return render(request, "analytics/reports/forecast.html", {**_common(request), "report": report})


@require_GET
@area_required(AREA)
def forecast_export(request):
    report = forecast_report(user=request.user, today=timezone.localdate())
    return _xlsx(
        request,
        None,
        "analytics:forecast",
        "forecast",
        lambda target: exports.forecast_export_write(report=report, target=target),
    )


# --- basket -----------------------------------------------------------------------------------


# Pairs bought together in fewer orders are left out unless the user lowers the minimum: a pair
# seen once has a lift of (orders / orders of the other product), large and meaningless.
DEFAULT_MIN_ORDERS = 3


def _pairs(request: HttpRequest) -> tuple[PairFilter, QuerySet]:
    data = request.GET.copy()
    data.setdefault("min_orders", str(DEFAULT_MIN_ORDERS))
    pair_filter = PairFilter(data, queryset=pair_rows())
    return pair_filter, _filtered(pair_filter)


@require_GET
@area_required(AREA)
def basket(request):
    pair_filter, rows = _pairs(request)
    page = _page(request, rows)
    context = {
        **_common(request),
        "filter": pair_filter,
        "page_obj": page,
        "default_min_orders": DEFAULT_MIN_ORDERS,
        # Only asked when the page is empty: no pairs at all, or none that match.
        "has_pairs": bool(page.object_list) or pair_rows().exists(),
    }
    return render(request, "analytics/reports/basket.html", context)


@require_GET
@area_required(AREA)
def basket_export(request):
    _filter, rows = _pairs(request)
    return _xlsx(
        request,
        rows,
        "analytics:basket",
        "products-bought-together",
        lambda target: exports.basket_export_write(rows=rows, target=target),
    )
