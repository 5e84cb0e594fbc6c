"""Reads of campaigns: audiences, the list and its figures, a campaign's figures and ROI with the
control group, its chart, recipients and exports. Every figure is an aggregate query: none loops
over recipients or orders in Python, so a page costs the same number of queries at any size.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import scope_queryset
from crm_site.models import OutboxMessage
from crm_site.xlsx import XlsxWriter
from customers.models import Customer
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from marketing.selectors.segments import segment_customers
from sales.models import Lead, Order, SurveyInvitation
from sales.totals import money
from service.models import Ticket

Status = CampaignRecipient.Status
ZERO = Decimal(0)
RATE = Decimal("0.0001")
# Orders that count as a sale: confirmed or delivered (not drafts, not cancelled).
SALE_STATUSES = [Order.Status.CONFIRMED, Order.Status.DELIVERED]
# The recipients the campaign reached: a message handed to the outbox (and not stopped by an
# opt-out before it left) or a call task created.
MESSAGED = Q(status=Status.TASK_CREATED) | (
    Q(status=Status.QUEUED) & ~Q(outbox_message__status=OutboxMessage.Status.SUPPRESSED)
)
OPTED_OUT = (
    Q(status=Status.SUPPRESSED)
    | Q(outbox_message__status=OutboxMessage.Status.SUPPRESSED)
    | Q(opted_out_at__isnull=False)
)
PREVIEW_SAMPLE = 20
# How the detail page formats a figure.
AS_COUNT, AS_MONEY, AS_RATE = "count", "money", "rate"


def points_for(customer_ids: Iterable[int]) -> dict[int, int]:
    """Loyalty points per customer for the {points} placeholder (one query)."""
    from marketing.selectors.loyalty import points_balances

    return points_balances(list(customer_ids))


# --- audience ----------------------------------------------------------------------------------


def campaign_audience(campaign: Campaign, *, now: datetime | None = None) -> QuerySet[Customer]:
    """The customers of the target segments less those of the excluded ones (one query)."""
    targets = list(campaign.segments.all())
    if not targets:
        return Customer.objects.none()
    wanted = Q()
    for segment in targets:
        wanted |= Q(pk__in=segment_customers(segment, now=now).values("pk"))
    audience = Customer.objects.filter(wanted)
    for segment in campaign.excluded_segments.all():
        audience = audience.exclude(pk__in=segment_customers(segment, now=now).values("pk"))
    return audience


def campaign_audience_estimate(campaign: Campaign) -> dict:
    """How many customers the campaign would reach now: the audience, those the channel can
    reach (consent and an address), and the expected control group."""
    audience = campaign_audience(campaign)
    if campaign.channel == Campaign.Channel.EMAIL:
        reachable = Q(email_consent=True) & ~Q(email="")
    elif campaign.channel == Campaign.Channel.SMS:
        reachable = Q(sms_consent=True) & ~Q(phone="")
    else:
        reachable = ~Q(phone="")
    counts = audience.order_by().aggregate(audience=Count("pk"), reachable=Count("pk", filter=reachable))
    counts["holdout"] = counts["reachable"] * campaign.holdout_percent // 100
    counts["to_message"] = counts["reachable"] - counts["holdout"]
    counts["cost"] = money(counts["to_message"] * campaign.cost_per_message + campaign.fixed_cost)
    return counts


def campaign_preview_customers(*, campaign: Campaign, user) -> list[Customer]:
    """A few customers of the audience the user may see, to preview the message with."""
    audience = scope_queryset(campaign_audience(campaign), user, "customers")
    return list(audience.order_by("name", "pk").only("pk", "name", "code")[:PREVIEW_SAMPLE])


def campaign_preview_customer(*, campaign: Campaign, user, pk) -> Customer | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return scope_queryset(campaign_audience(campaign), user, "customers").filter(pk=pk).first()


def campaign_preview(*, campaign: Campaign, customer: Customer) -> dict:
    """The subject and message as this customer would get them (the opt-out link is a sample)."""
    from marketing.services.campaign_sending import render_for

    values = {"name": customer.name, "first_name": customer.first_name, "code": customer.code}
    points = points_for([customer.pk]).get(customer.pk, 0) if "{points}" in campaign.body + campaign.subject else None
    return {
        "customer": customer,
        "subject": render_for(template=campaign.subject, customer=values, recipient_id=0, points=points),
        "body": render_for(template=campaign.body, customer=values, recipient_id=0, points=points).replace(
            "{opt_out}", ""
        ),
        "opt_out_sample": "{opt_out}" in campaign.body,
    }


# --- lists -------------------------------------------------------------------------------------


def campaign_list_queryset() -> QuerySet[Campaign]:
    """Campaigns are company-wide records: every marketing user sees them all."""
    return Campaign.objects.select_related("owner", "approved_by")


def approval_queue() -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(status=Campaign.Status.PENDING_APPROVAL)
        .select_related("owner")
        .order_by("submitted_at", "pk")
    )


def campaign_get(*, pk: int) -> Campaign:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Campaign.objects.select_related("owner", "approved_by"), pk=pk)


def campaigns_list_figures(campaign_ids: Iterable[int]) -> dict[int, dict]:
    """The list's figures columns for a page of campaigns, in two grouped queries: recipients,
    sent, delivered and opted out; conversions (customers with an order in their window)."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = (
        CampaignRecipient.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(
            recipients=Count("pk", filter=~Q(status=Status.HOLDOUT)),
            sent=Count("pk", filter=MESSAGED),
            delivered=Count("pk", filter=Q(outbox_message__status=OutboxMessage.Status.SENT)),
            opted_out=Count("pk", filter=OPTED_OUT),
        )
        .order_by()
    )
    figures = {row.pop("campaign_id"): row | {"conversions": 0} for row in rows}
    converted = (
        CampaignRecipient.objects.filter(campaign_id__in=ids)
        .filter(MESSAGED)
        .filter(
            Exists(
                Order.objects.filter(
                    customer=OuterRef("customer"),
                    status__in=SALE_STATUSES,
                    ordered_at__gte=OuterRef("processed_at"),
                    ordered_at__lte=OuterRef("attribution_ends_at"),
                )
            )
        )
        .values("campaign_id")
        .annotate(conversions=Count("customer", distinct=True))
        .order_by()
    )
    for row in converted:
        figures[row["campaign_id"]]["conversions"] = row["conversions"]
    return figures


# --- a campaign's figures ----------------------------------------------------------------------


def _window(campaign: Campaign, moment: str, *, customer: str = "customer") -> QuerySet[CampaignRecipient]:
    """The campaign's recipients whose attribution window holds the outer row's ``moment``."""
    return CampaignRecipient.objects.filter(
        campaign=campaign,
        customer=OuterRef(customer),
        processed_at__lte=OuterRef(moment),
        attribution_ends_at__gte=OuterRef(moment),
    )


def _ratio(part, whole, places: Decimal = RATE) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places)


def _orders_of(orders: QuerySet[Order]) -> dict:
    totals = orders.aggregate(
        conversions=Count("customer", distinct=True),
        orders=Count("pk"),
        revenue=Sum("total"),
        cogs=Sum("cost_total"),
    )
    revenue = money(totals["revenue"] or ZERO)
    profit = money(revenue - (totals["cogs"] or ZERO))
    return {"conversions": totals["conversions"], "orders": totals["orders"], "revenue": revenue, "profit": profit}


def campaign_figures(campaign: Campaign) -> dict:
    """Everything measured about a campaign, in at most six aggregate queries.

    Groups: *messaged* recipients (a message handed to the outbox and not stopped by an opt-out
    before it left, or a call task created) and the *control* group (kept back at random). A
    customer's attribution window runs from the moment their message was queued (the control
    group: the moment the run started) to ``attribution_days`` later, both ends included.

    - recipients: the audience less the control group; sent = messaged; delivered / failed: the
      outbox's final status; opted out: suppressed when queued or before dispatch, or followed
      the opt-out link / keyword.
    - responses: answered sales surveys, tickets opened and leads created (with the campaign's
      tracking code, or by a messaged customer, or with a messaged phone/email) in a window.
    - conversions: messaged customers with at least one confirmed or delivered order in their
      window; revenue = the sum of those orders' totals (each order once), profit = revenue −
      their cost of goods.
    - cost = sent × cost per message + other costs; ROI = (profit − cost) / cost;
      cost per conversion = cost / conversions.
    - with a control group of n_c customers (n_m messaged): conversion rate r = conversions / n,
      revenue and profit per customer v = revenue / n and p = profit / n for each group;
      uplift = r_m − r_c; incremental conversions = uplift × n_m; incremental revenue =
      (v_m − v_c) × n_m; incremental profit = (p_m − p_c) × n_m;
      incremental ROI = (incremental profit − cost) / cost.

    Decimal throughout; money rounded to cents, rates to four places.
    """
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    counts = recipients.aggregate(
        audience=Count("pk"),
        control=Count("pk", filter=Q(status=Status.HOLDOUT)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        sent=Count("pk", filter=MESSAGED),
        delivered=Count("pk", filter=Q(outbox_message__status=OutboxMessage.Status.SENT)),
        failed=Count("pk", filter=Q(outbox_message__status=OutboxMessage.Status.FAILED)),
        no_consent=Count("pk", filter=Q(status=Status.NO_CONSENT)),
        no_address=Count("pk", filter=Q(status=Status.NO_ADDRESS)),
        opted_out=Count("pk", filter=OPTED_OUT),
        first_at=Min("processed_at"),
        last_until=Max("attribution_ends_at"),
    )
    figures = {key: counts[key] for key in counts if key not in ("first_at", "last_until")}
    figures["recipients"] = counts["audience"] - counts["control"]
    empty = {"conversions": 0, "orders": 0, "revenue": money(ZERO), "profit": money(ZERO)}
    messaged, control = dict(empty), dict(empty)
    surveys = tickets = leads = 0
    first, last = counts["first_at"], counts["last_until"]
    if first is not None and last is not None:
        orders = Order.objects.filter(status__in=SALE_STATUSES, ordered_at__gte=first, ordered_at__lte=last)
        messaged = _orders_of(orders.filter(Exists(_window(campaign, "ordered_at").filter(MESSAGED))))
        if counts["control"]:
            control = _orders_of(orders.filter(Exists(_window(campaign, "ordered_at").filter(status=Status.HOLDOUT))))
        surveys = (
            SurveyInvitation.objects.filter(answered_at__gte=first, answered_at__lte=last)
            .filter(Exists(_window(campaign, "answered_at").filter(MESSAGED)))
            .count()
        )
        tickets = (
            Ticket.objects.filter(created_at__gte=first, created_at__lte=last)
            .filter(Exists(_window(campaign, "created_at").filter(MESSAGED)))
            .count()
        )
        by_address = CampaignRecipient.objects.filter(
            MESSAGED,
            campaign=campaign,
            processed_at__lte=OuterRef("created_at"),
            attribution_ends_at__gte=OuterRef("created_at"),
        )
        lead_condition = (
            Exists(_window(campaign, "created_at").filter(MESSAGED))
            | (~Q(phone="") & Exists(by_address.filter(address=OuterRef("phone"))))
            | (~Q(email="") & Exists(by_address.filter(address=OuterRef("email"))))
        )
        if campaign.tracking_code:
            lead_condition |= Q(campaign=campaign.tracking_code)
        leads = Lead.objects.filter(created_at__gte=first, created_at__lte=last).filter(lead_condition).count()
    sent = figures["sent"]
    cost = money(sent * campaign.cost_per_message + campaign.fixed_cost)
    figures.update(
        surveys=surveys,
        tickets=tickets,
        leads=leads,
        responses=surveys + tickets + leads,
        conversions=messaged["conversions"],
        orders=messaged["orders"],
        revenue=messaged["revenue"],
        profit=messaged["profit"],
        cost=cost,
        budget=campaign.budget,
        roi=_ratio(messaged["profit"] - cost, cost),
        cost_per_conversion=money(cost / messaged["conversions"]) if messaged["conversions"] else None,
        response_rate=_ratio(surveys + tickets + leads, sent),
        conversion_rate=_ratio(messaged["conversions"], sent),
    )
    figures["control_group"] = _control_comparison(
        messaged=messaged, control=control, n_messaged=sent, n_control=counts["control"], cost=cost
    )
    return figures


def _control_comparison(
    *, messaged: dict, control: dict, n_messaged: int, n_control: int, cost: Decimal
) -> dict | None:
    """Messaged against control: rates per customer, uplift and what it is worth (see above)."""
    if not n_control or not n_messaged:
        return None
    rate_m = Decimal(messaged["conversions"]) / n_messaged
    rate_c = Decimal(control["conversions"]) / n_control
    revenue_m, revenue_c = messaged["revenue"] / n_messaged, control["revenue"] / n_control
    profit_m, profit_c = messaged["profit"] / n_messaged, control["profit"] / n_control
    incremental_profit = money((profit_m - profit_c) * n_messaged)
    return {
        "size": n_control,
        "conversions": control["conversions"],
        "revenue": control["revenue"],
        "profit": control["profit"],
        "conversion_rate_messaged": rate_m.quantize(RATE),
        "conversion_rate_control": rate_c.quantize(RATE),
        "revenue_per_customer_messaged": money(revenue_m),
        "revenue_per_customer_control": money(revenue_c),
        "uplift": (rate_m - rate_c).quantize(RATE),
        "incremental_conversions": ((rate_m - rate_c) * n_messaged).quantize(Decimal("0.01")),
        "incremental_revenue": money((revenue_m - revenue_c) * n_messaged),
        "incremental_profit": incremental_profit,
        "incremental_roi": _ratio(incremental_profit - cost, cost),
    }


def campaigns_roi_summary(*, since: datetime | None = None) -> dict:
    """Totals over the campaigns with a run started since ``since`` (all when None), for the marketing
    home page: campaigns running, messages sent and delivered, opt-outs, cost, and conversions,
    revenue and profit attributed (each order once, even when several campaigns reached it).
    Six queries."""
    runs = CampaignRun.objects.filter(campaign=OuterRef("pk"))
    if since is not None:
        runs = runs.filter(started_at__gte=since)
    campaigns = Campaign.objects.filter(Exists(runs))
    running = Campaign.objects.filter(status=Campaign.Status.SENDING).count()
    recipients = CampaignRecipient.objects.filter(campaign__in=campaigns.values("pk"))
    counts = recipients.aggregate(
        sent=Count("pk", filter=MESSAGED),
        delivered=Count("pk", filter=Q(outbox_message__status=OutboxMessage.Status.SENT)),
        opted_out=Count("pk", filter=OPTED_OUT),
        first_at=Min("processed_at"),
        last_until=Max("attribution_ends_at"),
    )
    costs = (
        recipients.filter(MESSAGED)
        .values("campaign_id")
        .annotate(sent=Count("pk"))
        .values("sent", "campaign__cost_per_message")
        .order_by()
    )
    fixed = campaigns.aggregate(total=Sum("fixed_cost"))["total"] or ZERO
    cost = money(sum((row["sent"] * row["campaign__cost_per_message"] for row in costs), ZERO) + fixed)
    attributed = {"conversions": 0, "orders": 0, "revenue": money(ZERO), "profit": money(ZERO)}
    if counts["first_at"] is not None and counts["last_until"] is not None:
        window = recipients.filter(MESSAGED).filter(
            customer=OuterRef("customer"),
            processed_at__lte=OuterRef("ordered_at"),
            attribution_ends_at__gte=OuterRef("ordered_at"),
        )
        attributed = _orders_of(
            Order.objects.filter(
                status__in=SALE_STATUSES, ordered_at__gte=counts["first_at"], ordered_at__lte=counts["last_until"]
            ).filter(Exists(window))
        )
    return {
        "campaigns": campaigns.count(),
        "running": running,
        "sent": counts["sent"],
        "delivered": counts["delivered"],
        "opted_out": counts["opted_out"],
        "opt_out_rate": _ratio(counts["opted_out"], counts["sent"]),
        "cost": cost,
        **attributed,
        "roi": _ratio(attributed["profit"] - cost, cost),
    }


# --- the chart ---------------------------------------------------------------------------------


def campaign_chart(campaign: Campaign, *, figures: dict) -> dict | None:
    """Cumulative revenue per customer by day since the first message, messaged against the
    control group (two grouped queries): the gap between the lines is the uplift."""
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    span = recipients.aggregate(first=Min("processed_at"), last=Max("attribution_ends_at"))
    if span["first"] is None or span["last"] is None:
        return None
    today = timezone.localdate()
    start = timezone.localtime(span["first"]).date()
    end = min(timezone.localtime(span["last"]).date(), today)
    if end < start:
        return None
    orders = Order.objects.filter(status__in=SALE_STATUSES, ordered_at__gte=span["first"], ordered_at__lte=span["last"])

    def by_day(group: Q) -> dict:
        rows = (
            orders.filter(Exists(_window(campaign, "ordered_at").filter(group)))
            .annotate(day=TruncDate("ordered_at", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(revenue=Sum("total"))
            .order_by()
        )
        return {row["day"]: row["revenue"] or ZERO for row in rows}

    n_messaged = figures["sent"]
    n_control = figures["control"]
    messaged = by_day(MESSAGED) if n_messaged else {}
    control = by_day(Q(status=Status.HOLDOUT)) if n_control else {}
    labels, messaged_line, control_line = [], [], []
    total_m = total_c = ZERO
    day = start
    while day <= end:
        total_m += messaged.get(day, ZERO)
        total_c += control.get(day, ZERO)
        labels.append(day.isoformat())
        messaged_line.append(str(money(total_m / n_messaged)) if n_messaged else None)
        control_line.append(str(money(total_c / n_control)) if n_control else None)
        day += timedelta(days=1)
    return {
        "labels": labels,
        "messaged": messaged_line,
        "control": control_line if n_control else [],
        "messagedLabel": _("Messaged: revenue per customer"),
        "controlLabel": _("Control group: revenue per customer"),
    }


# --- recipients --------------------------------------------------------------------------------


def campaign_recipients(*, campaign: Campaign, user) -> QuerySet[CampaignRecipient]:
    """The campaign's recipients whose customers the user may see."""
    recipients = CampaignRecipient.objects.filter(campaign=campaign).select_related("customer", "run", "outbox_message")
    return scope_queryset(recipients, user, "customers", owner_field="customer__owner", team_field="customer__team")


def recipient_for_opt_out(*, pk: int) -> CampaignRecipient | None:
    return CampaignRecipient.objects.select_related("campaign", "customer").filter(pk=pk).first()


# --- Excel -------------------------------------------------------------------------------------


def campaign_figure_rows(campaign: Campaign, figures: dict) -> list[tuple[str, object, str]]:
    """The figures as (label, value, kind) rows: the detail page and the export show these; the kind
    (AS_COUNT, AS_MONEY or AS_RATE, a fraction) says how the page formats the value."""
    rows = [
        (_("Recipients"), figures["recipients"], AS_COUNT),
        (_("Control group"), figures["control"], AS_COUNT),
        (_("Sent"), figures["sent"], AS_COUNT),
        (_("Delivered"), figures["delivered"], AS_COUNT),
        (_("Failed"), figures["failed"], AS_COUNT),
        (_("No consent"), figures["no_consent"], AS_COUNT),
        (_("No address"), figures["no_address"], AS_COUNT),
        (_("Opted out"), figures["opted_out"], AS_COUNT),
        (_("Responses"), figures["responses"], AS_COUNT),
        (_("Conversions"), figures["conversions"], AS_COUNT),
        (_("Revenue"), figures["revenue"], AS_MONEY),
        (_("Profit"), figures["profit"], AS_MONEY),
        (_("Cost"), figures["cost"], AS_MONEY),
        (_("Budget"), figures["budget"], AS_MONEY),
        (_("ROI"), figures["roi"], AS_RATE),
        (_("Cost per conversion"), figures["cost_per_conversion"], AS_MONEY),
    ]
    control = figures["control_group"]
    if control:
        rows += [
            (_("Conversion rate, messaged"), control["conversion_rate_messaged"], AS_RATE),
            (_("Conversion rate, control"), control["conversion_rate_control"], AS_RATE),
            (_("Uplift"), control["uplift"], AS_RATE),
            (_("Incremental revenue"), control["incremental_revenue"], AS_MONEY),
            (_("Incremental profit"), control["incremental_profit"], AS_MONEY),
            (_("ROI on incremental profit"), control["incremental_roi"], AS_RATE),
        ]
    return rows


def campaign_figures_export_write(*, campaign: Campaign, figures: dict, target: IO[bytes]) -> None:
    with XlsxWriter(target, sheet_name=str(_("Figures")), headers=[_("Figure"), _("Value")], widths=[30, 18]) as sheet:
        for label, value, _kind in campaign_figure_rows(campaign, figures):
            sheet.write_row([str(label), value])


RECIPIENT_EXPORT_BATCH = 2000


def campaign_recipients_export_write(*, recipients: QuerySet[CampaignRecipient], target: IO[bytes]) -> int:
    """The recipients (already scoped) as .xlsx, read as plain values in batches."""
    headers = [
        _("Customer code"),
        _("Customer"),
        _("Run"),
        _("Status"),
        _("Address"),
        _("Message"),
        _("Processed"),
        _("Opted out"),
    ]
    labels = dict(Status.choices)
    outbox_labels = dict(OutboxMessage.Status.choices)
    rows = recipients.order_by("pk").values_list(
        "customer__code",
        "customer__name",
        "run__sequence",
        "status",
        "address",
        "outbox_message__status",
        "processed_at",
        "opted_out_at",
    )
    count = 0
    with XlsxWriter(target, sheet_name=str(_("Recipients")), headers=[str(h) for h in headers]) as sheet:
        for code, name, sequence, status, address, outbox, processed, opted in rows.iterator(RECIPIENT_EXPORT_BATCH):
            sheet.write_row(
                [
                    code,
                    name,
                    sequence,
                    str(labels.get(status, status)),
                    address,
                    str(outbox_labels.get(outbox, "")) if outbox else "",
                    timezone.localtime(processed) if processed else None,
                    timezone.localtime(opted) if opted else None,
                ]
            )
            count += 1
    return count
