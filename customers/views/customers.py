"""The customer list, the 360° page, create and edit, the timeline, and groups."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Action, Scope, area_required, can_use_area, record_scope
from crm_site.htmx import htmx_target
from crm_site.models import Channel
from crm_site.pagination import CappedPaginator
from customers.duplicates import find_duplicates
from customers.filters import CustomerFilter
from customers.forms import CustomerForm, GroupForm, InteractionForm, MessageForm
from customers.models import Customer, CustomerGroup, Interaction
from customers.panels import panels_for
from customers.selectors import customer_get, customer_list_queryset, customers_for, timeline_for
from customers.services import customer_create, customer_message_send, customer_update, group_save, interaction_record

LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20


@area_required("customers")
def customer_list(request):
    customer_filter = CustomerFilter(request.GET or None, queryset=customer_list_queryset(user=request.user))
    queryset = customer_filter.qs if customer_filter.is_bound else customer_filter.queryset
    page = CappedPaginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": customer_filter,
        "page_obj": page,
        "can_create": record_scope(request.user, "customers", Action.CHANGE) != Scope.NONE,
        "can_setup": can_use_area(request.user, "customer_setup"),
    }
    partial = htmx_target(request) == "customer-results"
    return render(
        request, "customers/partials/customer_results.html" if partial else "customers/customer_list.html", context
    )


def _save_customer(request, form: CustomerForm, customer: Customer | None):
    """Validate, warn about likely duplicates unless confirmed, then save through the service."""
    data = form.cleaned_data
    if not data.get("confirm_duplicates"):
        duplicates = find_duplicates(
            name=_display_name(data),
            city=data.get("city") or "",
            phones=data["phone_list"],
            emails=data["email_list"],
            exclude_id=customer.pk if customer else None,
        )
        if duplicates:
            ids = [candidate.customer.pk for candidate in duplicates]
            visible = set(customers_for(user=request.user).filter(pk__in=ids).values_list("pk", flat=True))
            return None, duplicates, visible
    try:
        with transaction.atomic():
            if customer is None:
                saved = customer_create(created_by=request.user, **form.service_kwargs())
            else:
                saved = customer_update(customer=customer, **form.service_kwargs())
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None, [], set()
    return saved, [], set()


def _display_name(data: dict) -> str:
    if data.get("kind") == Customer.Kind.PERSON and (data.get("first_name") or data.get("last_name")):
        return f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    return data.get("name") or ""


@area_required("customers")
def customer_create_view(request):
    if record_scope(request.user, "customers", Action.CHANGE) == Scope.NONE:
        raise PermissionDenied
    return _customer_form_page(request, None)


@area_required("customers")
def customer_edit(request, pk: int):
    return _customer_form_page(request, customer_get(user=request.user, pk=pk, action=Action.CHANGE))


def _customer_form_page(request, customer: Customer | None):
    """The create and edit page: the form, the duplicate warning, then the service."""
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    duplicates, visible = [], set()
    if request.method == "POST" and form.is_valid():
        saved, duplicates, visible = _save_customer(request, form, customer)
        if saved is not None:
            message = _("Customer %(name)s created.") if customer is None else _("Customer %(name)s saved.")
            messages.success(request, message % {"name": saved.name})
            return redirect(saved)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "duplicates": duplicates, "visible_duplicates": visible, "customer": customer},
    )


def _timeline_context(request, customer: Customer) -> dict:
    kind = request.GET.get("kind", "")
    if kind not in Interaction.Kind.values:
        kind = ""
    page = Paginator(timeline_for(customer=customer, kind=kind or None), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"customer": customer, "timeline_page": page, "timeline_kind": kind, "kinds": Interaction.Kind.choices}


@area_required("customers")
def customer_detail(request, pk: int):
    customer = customer_get(user=request.user, pk=pk)
    return _render_detail(request, customer)


def _render_detail(request, customer: Customer, *, interaction_form=None, status: int = 200):
    context = {
        "customer": customer,
        "panels": panels_for(request, customer),
        "interaction_form": interaction_form or InteractionForm(),
        "sms_form": MessageForm(initial={"channel": Channel.SMS}),
        "email_form": MessageForm(initial={"channel": Channel.EMAIL}),
        "can_change": customers_for(user=request.user, action=Action.CHANGE).filter(pk=customer.pk).exists(),
        **_timeline_context(request, customer),
    }
    return render(request, "customers/customer_detail.html", context, status=status)


@area_required("customers")
def customer_timeline(request, pk: int):
    customer = customer_get(user=request.user, pk=pk)
    return render(request, "customers/partials/timeline.html", _timeline_context(request, customer))


@require_POST
@area_required("customers")
def interaction_log(request, pk: int):
    # Logging a contact needs only sight of the customer: an agent answering a call logs it too.
    customer = customer_get(user=request.user, pk=pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        minutes = data.get("duration_minutes")
        interaction_record(
            customer=customer,
            kind=data["kind"],
            user=request.user,
            occurred_at=data.get("occurred_at"),
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            direction=data.get("direction", ""),
            outcome=data.get("outcome", ""),
            duration_seconds=minutes * 60 if minutes is not None else None,
        )
        messages.success(request, _("Logged."))
        return redirect(customer)
    return _render_detail(request, customer, interaction_form=form, status=400)


@require_POST
@area_required("customers")
def message_send(request, pk: int):
    customer = customer_get(user=request.user, pk=pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            customer_message_send(
                customer=customer,
                user=request.user,
                channel=form.cleaned_data["channel"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["token"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Message queued for sending."))
    else:
        messages.error(request, _("The message was not sent: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect(customer)


@area_required("customers")
def group_list(request):
    can_manage = can_use_area(request.user, "customer_setup")
    form = GroupForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                group = group_save(group=form.instance)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Group %(name)s saved.") % {"name": group.name})
                return redirect("customers:groups")
    groups = CustomerGroup.objects.annotate(customer_count=Count("customers"))
    return render(request, "customers/group_list.html", {"groups": groups, "form": form})
