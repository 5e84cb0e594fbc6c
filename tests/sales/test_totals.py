"""Document totals: Decimal, rounded half up once per line, and a document is the sum of its lines."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales.models import QuoteLine
from sales.services.documents import lines_preview
from sales.services.quotes import quote_create
from sales.totals import document_amounts, line_amounts, money
from tests.factories import CustomerFactory, UserFactory
from tests.sales.factories import ProductFactory

D = Decimal


def test_a_line_with_discount_and_tax():
    amounts = line_amounts(quantity=D("3"), unit_price=D("19.99"), discount_percent=D("10"), tax_rate=D("9"))
    # 59.97 gross, 6.00 off (5.997 rounded half up), 53.97 net, 4.86 tax (4.8573), 58.83 total
    assert amounts.gross == D("59.97")
    assert amounts.discount == D("6.00")
    assert amounts.net == D("53.97")
    assert amounts.tax == D("4.86")
    assert amounts.total == D("58.83")


def test_rounding_is_half_up_at_the_line():
    # 0.125 would round to 0.12 with banker's rounding; half up gives 0.13.
    assert line_amounts(quantity=D("1"), unit_price=D("1.25"), tax_rate=D("10")).tax == D("0.13")
    assert money(D("2.675")) == D("2.68")
    assert money(D("-0.005")) == D("-0.01")


def test_a_document_total_is_the_sum_of_its_lines():
    lines = [
        line_amounts(quantity=D("1"), unit_price=D("0.333"), tax_rate=D("9")),
        line_amounts(quantity=D("2"), unit_price=D("0.333"), tax_rate=D("9")),
        line_amounts(quantity=D("0.5"), unit_price=D("10.01"), discount_percent=D("33.33"), tax_rate=D("9")),
    ]
    totals = document_amounts(lines)
    assert totals.total == sum(line.total for line in lines)
    assert totals.subtotal - totals.discount_total + totals.tax_total == totals.total
    assert all(isinstance(value, Decimal) for value in totals.as_fields().values())


amounts_strategy = st.decimals(min_value=D("0"), max_value=D("100000"), places=2, allow_nan=False)
quantities = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3, allow_nan=False)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(quantities, amounts_strategy, percents, percents), min_size=1, max_size=8))
def test_totals_always_add_up(rows):
    lines = [line_amounts(quantity=q, unit_price=p, discount_percent=d, tax_rate=t) for q, p, d, t in rows]
    totals = document_amounts(lines)
    for line in lines:
        assert line.total == line.net + line.tax
        assert line.net == line.gross - line.discount
        assert line.discount <= line.gross
        for value in (line.gross, line.discount, line.net, line.tax, line.total):
            assert value == value.quantize(D("0.01"))
    assert totals.total == sum(line.total for line in lines)
    assert totals.subtotal - totals.discount_total + totals.tax_total == totals.total


@pytest.mark.django_db
def test_a_saved_quote_stores_the_totals_of_its_lines():
    product = ProductFactory(list_price=D("1250.00"), tax_rate=D("10.00"))
    other = ProductFactory(list_price=D("99.99"), tax_rate=D("9.00"))
    owner = UserFactory()
    quote = quote_create(
        customer=CustomerFactory(),
        owner=owner,
        issued_on=date(2026, 1, 5),
        lines=[
            {"product": product, "quantity": D("2"), "discount_percent": D("5")},
            {"product": other, "quantity": D("3"), "unit_price": D("90.00"), "tax_rate": D("0")},
        ],
    )
    first, second = quote.lines.order_by("id")
    # 2500.00 gross, 125.00 off, 2375.00 net, 237.50 tax: the product's price and tax by default.
    assert (first.unit_price, first.tax_rate) == (D("1250.00"), D("10.00"))
    assert (first.net_amount, first.tax_amount, first.line_total) == (D("2375.00"), D("237.50"), D("2612.50"))
    assert (second.net_amount, second.tax_amount, second.line_total) == (D("270.00"), D("0.00"), D("270.00"))
    quote.refresh_from_db()
    assert quote.subtotal == D("2770.00")
    assert quote.discount_total == D("125.00")
    assert quote.tax_total == D("237.50")
    assert quote.total == first.line_total + second.line_total == D("2882.50")


@pytest.mark.django_db
def test_the_preview_prices_without_saving():
    product = ProductFactory(list_price=D("10.00"), tax_rate=D("10.00"))
    lines, totals = lines_preview(lines=[{"product": product, "quantity": D("3")}])
    assert totals.total == D("33.00") and lines[0].line_total == D("33.00")
    assert not QuoteLine.objects.exists()
