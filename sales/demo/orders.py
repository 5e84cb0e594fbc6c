"""Demo orders over about three years: repeat buyers with a Pareto-like skew (a minority of
customers makes most orders), about ten order lines per customer, each non-cancelled order
invoiced once and paid in full, in part or not yet (some overdue), and the after-sale messages
of the latest orders with a few satisfaction surveys answered.

Orders are scheduled first (when and for whom), then generated in date order, so ids and numbers
grow with the date, as they do when people enter them. Every amount comes from sales/totals.py,
computed once per product, quarter, quantity and discount (``Catalogue.amounts``).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from crm_site.bulkload import BulkTables
from sales.demo.catalog import TAX_RATE, Catalogue
from sales.demo.common import DAY, HOUR, YEARS, Buyer, Clock, Pick, References, Seller
from sales.models import Invoice, Order, OrderLine, Payment, SalesSettings, SurveyInvitation
from sales.numbering import INVOICE_PREFIX, ORDER_PREFIX, format_number
from sales.totals import ZERO, document_amounts, money

LINES_PER_CUSTOMER = 10  # on average, over every customer (prospects buy nothing)
CHUNK = 5000  # orders generated and written at a time (memory stays flat)
AFTER_SALE_DAYS = 60  # the after-sale messages started this long ago
BUSINESS_SEGMENTS = {"Wholesale", "Corporate", "Partners"}
# Orders stop some time before a customer became inactive or was lost (churn shows in the data).
LAST_ORDER_DAY = {"active": -1, "inactive": -180, "lost": -365}

PICK_LINES = Pick([1, 2, 3, 4, 5, 6, 8], [30, 26, 18, 11, 7, 5, 3])
PICK_BUSINESS_LINES = Pick([1, 2, 3, 4, 5, 6, 8, 10, 14], [14, 18, 18, 14, 11, 9, 8, 5, 3])
BUSINESS_SHARE = 0.45  # about the share of orders from businesses (organisations and trade groups)
MEAN_LINES = (1 - BUSINESS_SHARE) * PICK_LINES.mean + BUSINESS_SHARE * PICK_BUSINESS_LINES.mean
PICK_RETAIL_DISCOUNT = Pick([0, 5, 10], [82, 12, 6])
PICK_BUSINESS_DISCOUNT = Pick([0, 5, 10, 15], [40, 30, 20, 10])
PICK_BULK_QUANTITY = Pick([2, 5, 10, 12, 20, 24, 50], [15, 20, 25, 10, 15, 10, 5])
PICK_BUSINESS_QUANTITY = Pick([1, 2, 3, 4, 5, 8, 10], [30, 25, 15, 10, 10, 6, 4])
PICK_NEW_STATUS = Pick(["draft", "confirmed", "delivered", "cancelled"], [8, 55, 30, 7])  # the last 3 days
PICK_RECENT_STATUS = Pick(["confirmed", "delivered", "cancelled"], [20, 74, 6])  # the last 2 weeks
PICK_STATUS = Pick(["delivered", "confirmed", "cancelled"], [94, 1, 5])
PICK_RETAIL_METHOD = Pick(Payment.Method.values, [15, 35, 12, 3, 35])  # cash card transfer cheque online
PICK_BUSINESS_METHOD = Pick(Payment.Method.values, [5, 10, 45, 30, 10])
PICK_SCORE = Pick([5, 4, 3, 2, 1], [45, 30, 12, 7, 6])
SURVEY_COMMENTS = [
    "Fast delivery, thank you.",
    "The installer was very professional.",
    "Good price, but delivery took a week.",
    "The box was damaged; the product is fine.",
    "ارسال سریع بود، ممنون.",
    "کیفیت عالی بود.",
    "",
]
QUANTITIES = {quantity: Decimal(quantity) for quantity in range(1, 51)}


@dataclass
class OrderCounts:
    orders: int = 0
    lines: int = 0
    invoices: int = 0
    payments: int = 0
    surveys: int = 0


class OrderWriter:
    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        catalogue: Catalogue,
        refs: References,
        buyers: list[Buyer],
        tables,
        sellers_of: Callable[[Buyer], Seller],
        start: dict,
    ) -> None:
        self.rng, self.clock, self.catalogue, self.refs, self.buyers = rng, clock, catalogue, refs, buyers
        self.tables = tables
        self.next_order, self.next_invoice = start["order_id"], start["invoice_id"]
        self.order_sequence, self.invoice_sequence = start["order_number"], start["invoice_number"]
        self.counts = OrderCounts()
        self.seller = sellers_of
        self.favourites: dict[int, str] = {}
        self.delivered: list[int] = []  # the delivered orders' ids, in date order (returns pick from them)
        settings = SalesSettings.objects.filter(pk=1).first() or SalesSettings()
        self.after_sale = settings

    # --- when and for whom ---------------------------------------------------------------------

    def schedule(self) -> list[tuple[int, int]]:
        """(tick, buyer index) of every order, in date order."""
        rng = self.rng
        first_day = -YEARS * 365
        spans, weights = [], []
        for buyer in self.buyers:
            end = LAST_ORDER_DAY.get(buyer.status)
            if end is None:  # prospects have not bought yet
                spans.append(None)
                weights.append(0.0)
                continue
            start = max(buyer.created // DAY, first_day)
            if start > end:
                end = min(start + 30, -1)
            if start > end:
                spans.append(None)
                weights.append(0.0)
                continue
            weight = min(rng.paretovariate(1.1), 40.0)
            if buyer.organisation:
                weight *= 3
            if buyer.segment == "Wholesale":
                weight *= 2
            spans.append((start, end))
            weights.append(weight * (0.3 + (end - start) / 365))
        total = sum(weights)
        if not total:
            return []
        scale = len(self.buyers) * LINES_PER_CUSTOMER / MEAN_LINES / total
        schedule = []
        for index, (span, weight) in enumerate(zip(spans, weights, strict=True)):
            if span is None:
                continue
            expected = weight * scale
            count = max(1, int(expected) + (rng.random() < expected % 1))
            start, end = span
            buyer = self.buyers[index]
            for number in range(count):
                # The first purchase comes soon after the customer arrives.
                day = min(start + int(rng.expovariate(1 / 10)), end) if number == 0 else rng.randint(start, end)
                tick = max(self.clock.business(rng, day), buyer.created + 2 * HOUR)
                schedule.append((min(tick, -HOUR), index))
        schedule.sort()
        return schedule

    # --- one order ---------------------------------------------------------------------------

    def write(self) -> OrderCounts:
        for position, (tick, index) in enumerate(self.schedule(), start=1):
            self.order(tick, self.buyers[index])
            if position % CHUNK == 0:
                self.tables.flush()
        self.tables.flush()
        return self.counts

    def products(self, buyer: Buyer, *, business: bool, recent: bool) -> list[int]:
        """What goes in the basket: mostly the customer's usual kind of product, then what goes
        with it (accessories), then a few other things."""
        rng, catalogue = self.rng, self.catalogue
        wanted = (PICK_BUSINESS_LINES if business else PICK_LINES)(rng)
        taste = catalogue.top_picks.get(buyer.segment) or catalogue.top_picks[""]
        favourite = self.favourites.get(buyer.pk)
        if favourite is None:
            favourite = self.favourites[buyer.pk] = taste(rng)
        top = favourite if rng.random() < 0.6 else taste(rng)
        chosen = [catalogue.pick(rng, top=top, recent=recent)]
        for _attempt in range(wanted * 3):
            if len(chosen) >= wanted:
                break
            candidate = None
            for chance, companions in catalogue.items[chosen[-1]].companions:
                if rng.random() < chance:
                    candidate = rng.choice(companions)
                    break
            if candidate is None:
                candidate = catalogue.pick(rng, top=taste(rng) if rng.random() < 0.5 else top, recent=recent)
            if candidate not in chosen and (catalogue.items[candidate].active or not recent):
                chosen.append(candidate)
        return chosen

    def order(self, tick: int, buyer: Buyer) -> None:
        rng, clock, catalogue, tables = self.rng, self.clock, self.catalogue, self.tables
        business = buyer.organisation or buyer.segment in BUSINESS_SEGMENTS
        day = tick // DAY
        quarter = -day // 91
        order_id = self.next_order
        self.next_order += 1
        self.order_sequence += 1
        seller = self.seller(buyer)

        line_amounts, cost_total = [], ZERO
        for index in self.products(buyer, business=business, recent=day > -365):
            item = catalogue.items[index]
            if business:
                quantity = (PICK_BULK_QUANTITY if item.bulk else PICK_BUSINESS_QUANTITY)(rng)
                discount = PICK_BUSINESS_DISCOUNT(rng)
            else:
                quantity = rng.choice((1, 1, 2, 3)) if item.bulk else (1 if rng.random() < 0.93 else 2)
                discount = PICK_RETAIL_DISCOUNT(rng)
            unit_price, unit_cost, amounts, cost = catalogue.amounts(index, quarter, quantity, discount)
            line_amounts.append(amounts)
            cost_total += cost
            tables.lines.add(
                order_id=order_id,
                product_id=item.pk,
                quantity=QUANTITIES[quantity],
                unit_price=unit_price,
                discount_percent=Decimal(discount),
                tax_rate=TAX_RATE,
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                line_total=amounts.total,
                unit_cost=unit_cost,
            )
        self.counts.lines += len(line_amounts)
        totals = document_amounts(line_amounts)

        age = -day
        status = (PICK_NEW_STATUS if age <= 3 else PICK_RECENT_STATUS if age <= 14 else PICK_STATUS)(rng)
        delivered = None
        if status == "delivered":
            delivered = clock.next_business(tick + rng.randrange(1, 7) * DAY)
            if delivered >= 0:  # not before today: still on its way
                status, delivered = "confirmed", None
        if status == "delivered":
            self.delivered.append(order_id)
        paid = None
        if status in ("confirmed", "delivered"):
            paid = self.invoice(order_id, tick, buyer, seller, totals, business)
        trigger = paid if self.after_sale.thank_you_trigger == SalesSettings.Trigger.PAID else delivered
        after_sale = self.after_sale_times(order_id, buyer, trigger)
        at = clock.at
        created = at(tick)
        tables.orders.add(
            id=order_id,
            number=format_number(ORDER_PREFIX, self.order_sequence),
            customer_id=buyer.pk,
            status=status,
            ordered_at=created,
            delivered_at=at(delivered) if delivered is not None else None,
            paid_at=at(paid) if paid is not None else None,
            cost_total=cost_total,
            owner_id=seller.pk,
            team_id=seller.team_id,
            created_by_id=seller.pk,
            created_at=created,
            updated_at=at(max(tick, delivered or tick, paid or tick)),
            subtotal=totals.subtotal,
            discount_total=totals.discount_total,
            tax_total=totals.tax_total,
            total=totals.total,
            **after_sale,
        )
        self.counts.orders += 1

    # --- invoice and payments ------------------------------------------------------------------

    def invoice(self, order_id: int, tick: int, buyer: Buyer, seller: Seller, totals, business: bool) -> int | None:
        """Invoice the order and pay it (or not). Returns the tick the order was paid in full."""
        rng, clock, tables = self.rng, self.clock, self.tables
        invoice_id = self.next_invoice
        self.next_invoice += 1
        self.invoice_sequence += 1
        issued = tick + rng.randrange(5, 60) * 60
        terms = 30 if business else 14
        due_day = tick // DAY + terms
        overdue_for = -due_day
        roll = rng.random()
        if overdue_for > 60:
            outcome = "full" if roll < 0.955 else "partial" if roll < 0.975 else "none"
        elif overdue_for > 0:
            outcome = "full" if roll < 0.82 else "partial" if roll < 0.9 else "none"
        else:
            outcome = "full" if roll < 0.55 else "partial" if roll < 0.67 else "none"

        total = totals.total
        payments: list[tuple[int, Decimal]] = []
        latest = -60  # a minute before today's midnight: nothing is paid in the future
        if outcome == "full":
            if not business and rng.random() < 0.6:  # paid at the counter
                first = issued + rng.randrange(1, 15) * 60
            else:
                first = clock.next_business(issued + int(rng.expovariate(1 / 5) * DAY))
            if rng.random() < 0.3:  # a deposit, and the rest later
                deposit = money(Decimal(int(total * Decimal(rng.randrange(30, 60)) / 100 / 10_000) * 10_000))
                rest = clock.next_business(first + rng.randrange(2, terms + 10) * DAY)
                if deposit > ZERO and rest < latest:
                    payments = [(min(first, latest), deposit), (rest, total - deposit)]
            if not payments:
                payments = [(min(first, latest), total)]
        elif outcome == "partial":
            part = money(Decimal(int(total * Decimal(rng.randrange(20, 70)) / 100 / 10_000) * 10_000))
            if part > ZERO:
                payments = [(min(clock.next_business(issued + rng.randrange(0, terms) * DAY), latest), part)]
        pick_method = PICK_BUSINESS_METHOD if business else PICK_RETAIL_METHOD
        payments = [(max(when, issued + 60), amount) for when, amount in payments]
        paid = ZERO
        for when, amount in payments:
            method = pick_method(rng)
            tables.payments.add(
                invoice_id=invoice_id,
                customer_id=buyer.pk,
                amount=amount,
                method=method,
                paid_at=clock.at(when),
                reference=_reference(rng, method),
                received_by_id=seller.pk,
                created_at=clock.at(when),
            )
            paid += amount
        self.counts.payments += len(payments)
        paid_in_full = payments[-1][0] if payments and paid == total else None
        status = (
            Invoice.Status.PAID if paid_in_full else Invoice.Status.PARTIALLY_PAID if paid else Invoice.Status.ISSUED
        )
        issued_on = clock.day(issued)
        tables.invoices.add(
            id=invoice_id,
            number=format_number(INVOICE_PREFIX, self.invoice_sequence),
            order_id=order_id,
            customer_id=buyer.pk,
            status=status,
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=terms),
            amount_paid=paid,
            paid_at=clock.at(paid_in_full) if paid_in_full else None,
            owner_id=seller.pk,
            team_id=seller.team_id,
            created_at=clock.at(issued),
            subtotal=totals.subtotal,
            discount_total=totals.discount_total,
            tax_total=totals.tax_total,
            total=total,
        )
        self.counts.invoices += 1
        return paid_in_full

    # --- after the sale ------------------------------------------------------------------------

    def after_sale_times(self, order_id: int, buyer: Buyer, trigger: int | None) -> dict:
        """The thank-you and survey of orders paid (or delivered) since the messages started:
        sent when due (after the quiet hours), except the latest, which wait for the job."""
        settings, clock = self.after_sale, self.clock
        if trigger is None or trigger < -AFTER_SALE_DAYS * DAY:
            return {}
        times = {}
        if settings.thank_you_enabled:
            due = trigger + settings.thank_you_delay_minutes * 60
            times["thank_you_due_at"] = clock.at(due)
            sent = clock.next_business(due)
            if sent < 0:
                times["thank_you_sent_at"] = clock.at(sent + 30)
        if settings.survey_enabled:
            due = trigger + settings.survey_delay_days * DAY
            times["survey_due_at"] = clock.at(due)
            sent = clock.next_business(due)
            if sent < 0:
                times["survey_sent_at"] = clock.at(sent + 30)
                self.survey(order_id, buyer, sent + 30)
        return times

    def survey(self, order_id: int, buyer: Buyer, sent: int) -> None:
        rng = self.rng
        answered = sent + rng.randrange(10 * 60, 2 * DAY) if rng.random() < 0.4 else None
        if answered is not None and answered >= 0:
            answered = None
        self.tables.surveys.add(
            order_id=order_id,
            customer_id=buyer.pk,
            token=f"{rng.getrandbits(256):064x}",
            created_at=self.clock.at(sent),
            answered_at=self.clock.at(answered) if answered is not None else None,
            score=PICK_SCORE(rng) if answered is not None else None,
            comment=rng.choice(SURVEY_COMMENTS) if answered is not None else "",
        )
        self.counts.surveys += 1


def _reference(rng: random.Random, method: str) -> str:
    if method == Payment.Method.TRANSFER:
        return f"TRX{rng.randrange(10**9):09d}"
    if method == Payment.Method.CHEQUE:
        return f"CHQ-{rng.randrange(10**6):06d}"
    if method == Payment.Method.ONLINE:
        return f"PAY-{rng.randrange(10**10):010d}"
    return ""


def order_tables(table_for) -> BulkTables:
    return BulkTables(
        orders=table_for(Order, with_pk=True),
        lines=table_for(OrderLine),
        invoices=table_for(Invoice, with_pk=True),
        payments=table_for(Payment),
        surveys=table_for(SurveyInvitation),
    )
