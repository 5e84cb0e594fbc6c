"""Sales pages: "My day", the activity list, and scheduling, editing and completing activities."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, area_required
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from sales.filters.activities import ActivityFilter
from sales.forms.activities import ActivityCompleteForm, ActivityForm, ReminderChannelsForm
from sales.models import Activity
from sales.selectors.activities import (
    activity_follow_ups,
    activity_get,
    activity_list_queryset,
    my_day,
    my_day_bounds,
    visible_customer,
    visible_lead,
    visible_opportunity,
)
from sales.services.activities import (
    activity_cancel,
    activity_complete,
    activity_create,
    activity_update,
    user_reminder_channels_set,
)

LIST_PAGE_SIZE = 25


def _add_errors(form, error: ValidationError, *, renames: dict[str, str] | None = None) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        field = (renames or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


@area_required("sales")
def my_day_view(request):
    now = timezone.now()
    return render(
        request,
        "sales/my_day/my_day.html",
        {
            "sections": my_day(user=request.user, now=now),
            "bounds": my_day_bounds(now=now),
            "reminder_form": ReminderChannelsForm(
                initial={"remind_by_email": request.user.remind_by_email, "remind_by_sms": request.user.remind_by_sms}
            ),
        },
    )


@require_POST
@area_required("sales")
def reminder_channels(request):
    form = ReminderChannelsForm(request.POST)
    if form.is_valid():
        try:
            user_reminder_channels_set(
                user=request.user,
                by_email=form.cleaned_data["remind_by_email"],
                by_sms=form.cleaned_data["remind_by_sms"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your reminder settings were saved."))
    return redirect("sales:my_day")


@area_required("sales")
def activity_list(request):
    activity_filter = ActivityFilter(
        request.GET or None, queryset=activity_list_queryset(user=request.user), user=request.user
    )
    queryset = activity_filter.qs if activity_filter.is_bound else activity_filter.queryset
    page = CappedPaginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": activity_filter, "page_obj": page, "now": timezone.now()}
    partial = htmx_target(request) == "activity-results"
    template = "sales/activities/partials/results.html" if partial else "sales/activities/activity_list.html"
    return render(request, template, context)


def _prefill(request) -> dict:
    """The records named in the query string, each checked against what the user may see."""
    finders = {"customer": visible_customer, "lead": visible_lead, "opportunity": visible_opportunity}
    linked = {}
    for name, find in finders.items():
        value = request.GET.get(name)
        if value:
            if not value.isdigit() or (record := find(user=request.user, pk=int(value))) is None:
                raise Http404
            linked[name] = record
    return linked


@area_required("sales")
def activity_create_view(request):
    linked = _prefill(request)
    initial = {name: record.pk for name, record in linked.items()}
    if "customer" in linked:
        initial["customer_code"] = linked["customer"].code
    form = ActivityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = activity_create(created_by=request.user, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error, renames={"customer": "customer_code"})
        else:
            messages.success(request, _("Activity scheduled."))
            return redirect("sales:activity_detail", pk=activity.pk)
    return render(request, "sales/activities/activity_form.html", {"form": form, "linked": linked, "activity": None})


@area_required("sales")
def activity_detail(request, pk: int):
    activity = activity_get(user=request.user, pk=pk)
    return render(
        request,
        "sales/activities/activity_detail.html",
        {"activity": activity, "follow_ups": activity_follow_ups(activity=activity), "now": timezone.now()},
    )


@area_required("sales")
def activity_edit(request, pk: int):
    activity = activity_get(user=request.user, pk=pk, action=Action.CHANGE)
    if activity.status != Activity.Status.OPEN:
        messages.info(request, _("Only an open activity can be edited."))
        return redirect("sales:activity_detail", pk=activity.pk)
    form = ActivityForm(request.POST or None, user=request.user, instance=activity)
    if request.method == "POST" and form.is_valid():
        try:
            activity_update(activity=activity, by=request.user, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error, renames={"customer": "customer_code"})
        else:
            messages.success(request, _("Activity saved."))
            return redirect("sales:activity_detail", pk=activity.pk)
    linked = {name: getattr(activity, name) for name in ("lead", "opportunity") if getattr(activity, f"{name}_id")}
    return render(
        request, "sales/activities/activity_form.html", {"form": form, "linked": linked, "activity": activity}
    )


@area_required("sales")
def activity_complete_view(request, pk: int):
    activity = activity_get(user=request.user, pk=pk, action=Action.CHANGE)
    if activity.status != Activity.Status.OPEN:
        messages.info(request, _("This activity is no longer open."))
        return redirect("sales:activity_detail", pk=activity.pk)
    form = ActivityCompleteForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        try:
            activity_complete(activity=activity, by=request.user, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error, renames={"duration_seconds": "duration_minutes"})
        else:
            messages.success(request, _("Marked as done."))
            if request.POST.get("next") == "my_day":
                return redirect("sales:my_day")
            return redirect("sales:activity_detail", pk=pk)
    back_to = request.POST.get("next") or request.GET.get("next", "")
    return render(
        request,
        "sales/activities/activity_complete.html",
        {"form": form, "activity": activity, "next": "my_day" if back_to == "my_day" else ""},
    )


@require_POST
@area_required("sales")
def activity_cancel_view(request, pk: int):
    activity = activity_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        activity_cancel(activity=activity, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Activity cancelled."))
    return redirect("sales:activity_detail", pk=activity.pk)


urlpatterns = [
    path("my-day/", my_day_view, name="my_day"),
    path("my-day/reminders/", reminder_channels, name="reminder_channels"),
    path("activities/", activity_list, name="activity_list"),
    path("activities/new/", activity_create_view, name="activity_create"),
    path("activities/<int:pk>/", activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activity_edit, name="activity_edit"),
    path("activities/<int:pk>/done/", activity_complete_view, name="activity_complete"),
    path("activities/<int:pk>/cancel/", activity_cancel_view, name="activity_cancel"),
]
