"""The one place where sales amounts are computed, always with Decimal.

A line's net amount is quantity × unit price less its discount; its tax is the net amount at the
line's tax rate; each is rounded to the currency's two places (half up) once, at the line, so a
document's totals are plain sums of its lines and always add up on paper.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def money(value: Decimal | int | str) -> Decimal:
    """Round to the currency's two places, half up (never through float)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price
    discount: Decimal
    net: Decimal  # gross less discount
    tax: Decimal
    total: Decimal  # net plus tax


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO, tax_rate: Decimal = ZERO
) -> LineAmounts:
    gross = money(Decimal(quantity) * Decimal(unit_price))
    discount = money(gross * Decimal(discount_percent) / HUNDRED)
    net = gross - discount
    tax = money(net * Decimal(tax_rate) / HUNDRED)
    return LineAmounts(gross=gross, discount=discount, net=net, tax=tax, total=net + tax)


@dataclass(frozen=True)
class DocumentAmounts:
    subtotal: Decimal  # before discounts and tax
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal

    def as_fields(self) -> dict[str, Decimal]:
        """The values of the document's stored total fields (DocumentTotals)."""
        return {
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "tax_total": self.tax_total,
            "total": self.total,
        }


def document_amounts(lines: Iterable[LineAmounts]) -> DocumentAmounts:
    subtotal = discount = tax = total = ZERO
    for line in lines:
        subtotal += line.gross
        discount += line.discount
        tax += line.tax
        total += line.total
    return DocumentAmounts(subtotal=subtotal, discount_total=discount, tax_total=tax, total=total)


# amount (2 places) × probability (a whole percent) has at most two decimal places, so a sum of
# them read back at two places is exact on PostgreSQL (numeric) and on SQLite, whose float
# arithmetic is cut back to the cent by the field's conversion and by weighted_from_sum.
WEIGHTED_SUM_OUTPUT = DecimalField(max_digits=24, decimal_places=2)


def weighted_sum_expression(*, filter: Q | None = None) -> Sum:
    """The database aggregate of amount × probability (in percent points) over opportunities;
    turn its value into money with ``weighted_from_sum``. Every weighted figure (board, forecast,
    detail page) goes through this pair so they agree to the cent."""
    product = ExpressionWrapper(F("amount") * F("probability"), output_field=WEIGHTED_SUM_OUTPUT)
    return Sum(product, filter=filter, output_field=WEIGHTED_SUM_OUTPUT)


def weighted_from_sum(raw: Decimal | int | str | None) -> Decimal:
    """A sum of amount × probability as money: divided by 100 and rounded half up once."""
    if raw is None:
        return ZERO
    return money(money(raw) / HUNDRED)


def weighted(amount: Decimal, probability_percent: int) -> Decimal:
    """An opportunity's amount weighted by its win probability (as a one-row weighted sum)."""
    return weighted_from_sum(Decimal(amount) * Decimal(probability_percent))
