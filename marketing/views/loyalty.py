"""Loyalty pages: the programme's overview, its settings, tiers and earning rules (changed by
managers and admins), a member's page (ledger, tier progress, redemption, adjustment) and the
redemption form reached from the customer's 360° page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import Role, area_required, can_use_area, has_role
from crm_site.pagination import CappedPaginator
from marketing.forms.loyalty import AdjustForm, EarningRuleForm, LoyaltySettingsForm, LoyaltyTierForm, RedeemForm
from marketing.models import EarningRule, LoyaltySettings, LoyaltyTier
from marketing.selectors import loyalty as selectors
from marketing.services import loyalty as services

MEMBERS_PAGE_SIZE = 25
LEDGER_PAGE_SIZE = 25


def _is_manager(user) -> bool:
    return has_role(user, Role.MANAGER, Role.ADMIN)


def _require_manager(request) -> None:
    if not _is_manager(request.user):
        raise PermissionDenied


def add_errors(form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it concerns (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _save_form(request, form, save, *, template: str, context: dict, success: str, redirect_to: str):
    """The POST of a setup form: validate, call the service, report; else draw the form again."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, success % {"name": saved})
            return redirect(redirect_to)
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, **context}, status=status)


# --- overview and settings -----------------------------------------------------------------------


@area_required("marketing")
def loyalty_index(request):
    members = CappedPaginator(selectors.top_members(user=request.user), MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "summary": selectors.loyalty_summary(),
        "recent": selectors.loyalty_recent_figures(),
        "page_obj": members,
        "can_manage": _is_manager(request.user),
    }
    return render(request, "marketing/loyalty/index.html", context)


@area_required("marketing")
def loyalty_settings(request):
    _require_manager(request)
    form = LoyaltySettingsForm(request.POST or None, instance=LoyaltySettings.load())
    return _save_form(
        request, form, lambda form: services.loyalty_settings_save(settings_row=form.instance, by=request.user),
        template="marketing/loyalty/settings.html", context={},
        success=_("%(name)s saved."), redirect_to="marketing:loyalty_index",
    )  # fmt: skip


# --- tiers ---------------------------------------------------------------------------------------


@area_required("marketing")
def loyalty_tier_list(request):
    context = {"tiers": selectors.tiers_with_members(), "can_manage": _is_manager(request.user)}
    return render(request, "marketing/loyalty/tiers.html", context)


@area_required("marketing")
def loyalty_tier_edit(request, pk: int | None = None):
    _require_manager(request)
    tier = get_object_or_404(LoyaltyTier, pk=pk) if pk else LoyaltyTier()
    form = LoyaltyTierForm(request.POST or None, instance=tier)
    context = {"object": tier, "title": _("Tier"), "back": "marketing:loyalty_tier_list"}
    return _save_form(
        request, form, lambda form: services.loyalty_tier_save(tier=form.instance, by=request.user),
        template="marketing/loyalty/form.html", context=context,
        success=_("Tier %(name)s saved."), redirect_to="marketing:loyalty_tier_list",
    )  # fmt: skip


@require_POST
@area_required("marketing")
def loyalty_tier_delete(request, pk: int):
    _require_manager(request)
    tier = get_object_or_404(LoyaltyTier, pk=pk)
    services.loyalty_tier_delete(tier=tier, by=request.user)
    messages.success(request, _("Tier %(name)s deleted.") % {"name": tier.name})
    return redirect("marketing:loyalty_tier_list")


# --- earning rules -------------------------------------------------------------------------------


@area_required("marketing")
def loyalty_rule_list(request):
    context = {"rules": selectors.earning_rules(), "can_manage": _is_manager(request.user)}
    return render(request, "marketing/loyalty/rules.html", context)


@area_required("marketing")
def loyalty_rule_edit(request, pk: int | None = None):
    _require_manager(request)
    rule = get_object_or_404(EarningRule, pk=pk) if pk else EarningRule()
    form = EarningRuleForm(request.POST or None, instance=rule)
    context = {"object": rule, "title": _("Earning rule"), "back": "marketing:loyalty_rule_list"}
    return _save_form(
        request, form, lambda form: services.earning_rule_save(rule=form.instance, by=request.user),
        template="marketing/loyalty/form.html", context=context,
        success=_("Earning rule %(name)s saved."), redirect_to="marketing:loyalty_rule_list",
    )  # fmt: skip


@require_POST
@area_required("marketing")
def loyalty_rule_delete(request, pk: int):
    _require_manager(request)
    rule = get_object_or_404(EarningRule, pk=pk)
    services.earning_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Earning rule %(name)s deleted.") % {"name": rule.name})
    return redirect("marketing:loyalty_rule_list")


# --- members -------------------------------------------------------------------------------------


def _member_context(request, customer, *, redeem_form=None, adjust_form=None) -> dict:
    context = selectors.member_page(customer=customer)
    context["page_obj"] = CappedPaginator(context.pop("ledger"), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    context["customer"] = customer
    context["can_adjust"] = _is_manager(request.user)
    context["can_redeem"] = selectors.can_redeem(request.user) and context["account"] is not None
    if context["can_redeem"]:
        invoices = selectors.redeemable_invoices(user=request.user, customer=customer)
        context["redeem_form"] = redeem_form or RedeemForm(invoices=invoices)
    if context["can_adjust"]:
        context["adjust_form"] = adjust_form or AdjustForm()
    return context


@area_required("marketing")
def loyalty_member(request, customer_id: int):
    customer = selectors.loyalty_customer(user=request.user, pk=customer_id)
    return render(request, "marketing/loyalty/member.html", _member_context(request, customer))


@require_POST
@area_required("marketing")
def loyalty_enrol(request, customer_id: int):
    customer = selectors.loyalty_customer(user=request.user, pk=customer_id)
    services.loyalty_enrol(customer=customer, by=request.user)
    messages.success(request, _("%(name)s is now a loyalty member.") % {"name": customer.name})
    return redirect("marketing:loyalty_member", customer.pk)


@require_POST
@area_required("marketing")
def loyalty_adjust(request, customer_id: int):
    _require_manager(request)
    customer = selectors.loyalty_customer(user=request.user, pk=customer_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            services.points_adjust(
                customer=customer, points=form.cleaned_data["points"], note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Points adjusted."))
            return redirect("marketing:loyalty_member", customer.pk)
    context = _member_context(request, customer, adjust_form=form)
    return render(request, "marketing/loyalty/member.html", context, status=400)


@area_required("customers")
def loyalty_redeem(request, customer_id: int):
    """Redeem points against one of the customer's open invoices: reached from the member page
    and from the 360° panel, by whoever may take payments for the customer."""
    if not selectors.can_redeem(request.user):
        raise PermissionDenied
    customer = selectors.loyalty_customer(user=request.user, pk=customer_id)
    form = RedeemForm(
        request.POST or None, invoices=selectors.redeemable_invoices(user=request.user, customer=customer)
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.points_redeem(
                customer=customer,
                invoice=form.cleaned_data["invoice"],
                points=form.cleaned_data["points"],
                by=request.user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(points)s points redeemed on invoice %(number)s.")
                % {"points": -entry.points, "number": form.cleaned_data["invoice"].number},
            )
            if request.POST.get("next") == "member" and can_use_area(request.user, "marketing"):
                return redirect("marketing:loyalty_member", customer.pk)
            return redirect("customers:detail", customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "panel": selectors.customer_loyalty_panel(customer=customer),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "marketing/loyalty/redeem.html", context, status=400 if form.errors else 200)


urlpatterns = [
    path("loyalty/", loyalty_index, name="loyalty_index"),
    path("loyalty/settings/", loyalty_settings, name="loyalty_settings"),
    path("loyalty/tiers/", loyalty_tier_list, name="loyalty_tier_list"),
    path("loyalty/tiers/new/", loyalty_tier_edit, name="loyalty_tier_create"),
    path("loyalty/tiers/<int:pk>/", loyalty_tier_edit, name="loyalty_tier_edit"),
    path("loyalty/tiers/<int:pk>/delete/", loyalty_tier_delete, name="loyalty_tier_delete"),
    path("loyalty/rules/", loyalty_rule_list, name="loyalty_rule_list"),
    path("loyalty/rules/new/", loyalty_rule_edit, name="loyalty_rule_create"),
    path("loyalty/rules/<int:pk>/", loyalty_rule_edit, name="loyalty_rule_edit"),
    path("loyalty/rules/<int:pk>/delete/", loyalty_rule_delete, name="loyalty_rule_delete"),
    path("loyalty/members/<int:customer_id>/", loyalty_member, name="loyalty_member"),
    path("loyalty/members/<int:customer_id>/enrol/", loyalty_enrol, name="loyalty_enrol"),
    path("loyalty/members/<int:customer_id>/adjust/", loyalty_adjust, name="loyalty_adjust"),
    path("loyalty/members/<int:customer_id>/redeem/", loyalty_redeem, name="loyalty_redeem"),
]
