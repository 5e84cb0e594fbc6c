"""The analytics setup pages (managers and admins): the computation's runs with the "recompute
now" button, and the settings (discount rate, costs, horizon, ticket costs)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics.forms import AnalyticsSettingsForm, TicketCostFormSet
from analytics.models import AnalyticsSettings, ComputeRun, TicketCost
from analytics.selectors.runs import run_get, run_steps, runs_page, step_label
from analytics.services.settings import analytics_settings_save
from crm_site.access import area_required
from crm_site.htmx import htmx_target

# --- runs ----------------------------------------------------------------------------------------


@require_GET
@area_required("analytics_setup")
def runs(request: HttpRequest) -> HttpResponse:
    page = runs_page(page_number=request.GET.get("page"))
    # The newest run is the first row of the first page; another page reads it on its own.
    latest = page.object_list[0] if page.number == 1 and page.object_list else ComputeRun.objects.first()
    steps, steps_total = run_steps(latest)
    context = {
        "page_obj": page,
        "latest": latest,
        "steps": steps,
        "steps_total": steps_total,
        "step_label": step_label(latest.step) if latest else "",
    }
    return render(request, "analytics/setup/runs.html", context)


@require_GET
@area_required("analytics_setup")
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of one run, polled by the runs page while the run is active. When it has
    finished, the page reloads itself to show the outcome and the time each step took."""
    run = run_get(pk=pk)
    if run is None:
        raise Http404
    context = {"run": run, "step_label": step_label(run.step)}
    response = render(request, "analytics/setup/partials/run_progress.html", context)
    if htmx_target(request) is not None and not run.active:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@area_required("analytics_setup")
def run_request(request: HttpRequest) -> HttpResponse:
    """Recompute now: one run at a time; asking while one is queued or running says so."""
    # Imported when used: the computation pulls in numpy and scipy, which no page needs.
    from analytics.services.runs import compute_request

    try:
        compute_request(user=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(request, _("The figures are being recomputed; this page shows the progress."))
    return redirect("analytics:runs")


# --- settings ------------------------------------------------------------------------------------


def _ticket_costs():
    # The defaults first (no category, no priority), then by category and priority.
    return TicketCost.objects.select_related("category").order_by(
        F("category__path").asc(nulls_first=True), F("priority").asc(nulls_first=True), "pk"
    )


@area_required("analytics_setup")
def settings(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = AnalyticsSettingsForm(data, instance=AnalyticsSettings.load(), prefix="settings")
    formset = TicketCostFormSet(data, queryset=_ticket_costs(), prefix="costs")
    if data is not None:
        if form.is_valid() and formset.is_valid():
            try:
                analytics_settings_save(form=form, formset=formset)
            except IntegrityError:  # two saves at once gave the same category and priority
                formset._non_form_errors = formset.error_class(
                    [_("Two rows give a cost for the same category and priority.")]
                )
            else:
                messages.success(request, _("Settings saved. They apply from the next computation."))
                return redirect("analytics:settings")
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    status = 400 if data is not None else 200
    return render(request, "analytics/setup/settings.html", {"form": form, "formset": formset}, status=status)
