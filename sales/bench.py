"""What ``make bench`` measures in the sales app (see crm_site/bench.py).

Pages: the pipeline board as the manager (the team's deals) and as a rep, the opportunity list,
a rep's "My day", the lead and product lists, the sales home with its metrics, the manager's
biggest order with its product suggestions, and that order's printable invoice.
Jobs: 10,000 due reminders sent, the suggestion tables refreshed from every order line, and a
batch of after-sale thank-you messages queued.

The job functions are imported inside the callables: this module only describes the work.
"""

from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from crm_site.bench import BenchContext, BenchJob, BenchPage, midday_today
from crm_site.bulkload import bulk_table
from crm_site.models import Notification, User
from customers.models import Customer
from sales.models import Activity, Invoice, Opportunity, Order, OrderLine

REMINDERS = 10_000
AFTER_SALE_ORDERS = 1_000
_BENCH_SUBJECT = "Bench reminder"


def _biggest_order() -> dict[str, int]:
    """The manager's invoiced order with the most lines, its customer, first product and invoice
    (looked up untimed, before the page is measured)."""
    biggest = (
        OrderLine.objects.filter(
            order__owner__username="manager", order__status__in=[Order.Status.CONFIRMED, Order.Status.DELIVERED]
        )
        .values("order_id", "order__customer_id")
        .annotate(lines=Count("id"))
        .order_by("-lines", "order_id")
        .first()
    )
    if biggest is None:  # an empty database (--customers 0): the pages' 404 shows up as broken
        return {"order": 0, "customer": 0, "product": 0, "invoice": 0}
    order_id = biggest["order_id"]
    return {
        "order": order_id,
        "customer": biggest["order__customer_id"],
        "product": OrderLine.objects.filter(order_id=order_id).order_by("pk").values_list("product_id", flat=True)[0],
        "invoice": Invoice.objects.filter(order_id=order_id).values_list("pk", flat=True).first() or 0,
    }


def _bestseller_url(ctx: BenchContext) -> str:
    """The product on the most order lines: its page counts its orders and co-purchases."""
    top = OrderLine.objects.values("product_id").annotate(lines=Count("id")).order_by("-lines").first()
    return reverse("sales:product_detail", args=[top["product_id"] if top else 0])


def _busiest_opportunity_url(ctx: BenchContext) -> str:
    """The manager's team's open opportunity with the most activities."""
    busiest = (
        Opportunity.objects.filter(status=Opportunity.Status.OPEN, owner__username__in=["manager", "sales1", "sales2"])
        .annotate(entries=Count("activities"))
        .order_by("-entries", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return reverse("sales:opportunity_detail", args=[busiest or 0])


def _order_url(ctx: BenchContext) -> str:
    return reverse("sales:order_detail", args=[_biggest_order()["order"]])


def _suggestions_url(ctx: BenchContext) -> str:
    found = _biggest_order()
    return f"{reverse('sales:suggestions')}?customer={found['customer']}&product={found['product']}"


def _invoice_print_url(ctx: BenchContext) -> str:
    return reverse("sales:invoice_print", args=[_biggest_order()["invoice"]])


# --- 10,000 due reminders -----------------------------------------------------------------------


def _clear_bench_reminders() -> None:
    Activity.objects.filter(subject__startswith=_BENCH_SUBJECT).delete()
    Notification.objects.filter(title__contains=_BENCH_SUBJECT).delete()


def _due_reminders(ctx: BenchContext) -> None:
    """10,000 open activities of the demo sellers whose reminders fell due a minute ago (bulk)."""
    _clear_bench_reminders()
    sellers = list(User.objects.filter(username__in=["sales1", "sales2", "manager"]).order_by("pk"))
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:REMINDERS])
    if not sellers or not customers:
        return
    now = timezone.now()
    table = bulk_table(Activity)
    for number in range(REMINDERS):
        table.add(
            kind=Activity.Kind.CALL,
            subject=f"{_BENCH_SUBJECT} {number}",
            status=Activity.Status.OPEN,
            due_at=now + timedelta(minutes=14),
            remind_at=now - timedelta(minutes=1),
            assignee_id=sellers[number % len(sellers)].pk,
            customer_id=customers[number % len(customers)],
            created_at=now,
            updated_at=now,
        )
    table.flush()


def _send_reminders(ctx: BenchContext) -> None:
    from sales.services.activities import reminders_send_due

    reminders_send_due()
    unsent = Activity.objects.filter(subject__startswith=_BENCH_SUBJECT, reminder_sent_at__isnull=True).count()
    if unsent:
        raise RuntimeError(f"{unsent} of the {REMINDERS:,} due reminders were not claimed.")


# --- suggestions and after-sale messages ---------------------------------------------------------


def _refresh_suggestions(ctx: BenchContext) -> None:
    from sales.services.suggestions import suggestions_refresh

    suggestions_refresh()


def _thank_yous_due(ctx: BenchContext) -> None:
    """The latest paid orders' thank-you messages due (again), as after a busy morning."""
    latest = Order.objects.filter(paid_at__isnull=False).order_by("-paid_at", "-pk").values("pk")[:AFTER_SALE_ORDERS]
    Order.objects.filter(pk__in=list(latest.values_list("pk", flat=True))).update(
        thank_you_due_at=midday_today() - timedelta(minutes=1), thank_you_sent_at=None
    )


def _send_thank_yous(ctx: BenchContext) -> None:
    from sales.services.aftersale import after_sale_send_due

    while after_sale_send_due(now=midday_today())["more"]:
        pass


PAGES = [
    BenchPage("pipeline board (team)", lambda ctx: reverse("sales:pipeline"), "manager"),
    BenchPage("pipeline board (own)", lambda ctx: reverse("sales:pipeline"), "sales1"),
    BenchPage("opportunity list", lambda ctx: reverse("sales:opportunity_list"), "manager"),
    BenchPage("opportunity, most activities", _busiest_opportunity_url, "manager"),
    BenchPage("my day", lambda ctx: reverse("sales:my_day"), "sales1"),
    BenchPage("lead list", lambda ctx: reverse("sales:lead_list"), "manager"),
    BenchPage("product list", lambda ctx: reverse("sales:product_list"), "manager"),
    BenchPage("product, bestseller", _bestseller_url, "manager"),
    BenchPage("invoices, overdue only", lambda ctx: reverse("sales:invoice_list") + "?overdue=on", "manager"),
    BenchPage("sales home (metrics)", lambda ctx: reverse("sales:index"), "manager"),
    BenchPage("order, most lines", _order_url, "manager"),
    BenchPage("order suggestions (htmx)", _suggestions_url, "manager"),
    BenchPage("invoice print", _invoice_print_url, "manager"),
]

JOBS = [
    BenchJob(f"reminders: {REMINDERS:,} due, sent once", _send_reminders, setup=_due_reminders),
    BenchJob("suggestions refresh (every order line)", _refresh_suggestions),
    BenchJob(f"after-sale thank-yous ({AFTER_SALE_ORDERS:,} due)", _send_thank_yous, setup=_thank_yous_due),
]
