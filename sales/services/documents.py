"""What quotes and orders share: turning line input into priced lines, and the stored totals.

Every amount comes from ``sales/totals.py``; this module only decides the defaults (a line's
unit price and tax rate are the product's unless given) and copies the results onto the rows.
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sales.models import Product
from sales.models.orders import DocumentLine, DocumentTotals, Order, OrderLine, QuoteLine
from sales.totals import ZERO, DocumentAmounts, document_amounts, line_amounts

# One line as services take it: {"product": Product, "quantity": Decimal, and optionally
# "description", "unit_price", "discount_percent", "tax_rate" (None or missing: the default)}.
LineInput = Mapping[str, Any]


def price_line(line: DocumentLine) -> DocumentLine:
    """Store the line's net, tax and total, computed by sales/totals.py."""
    amounts = line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
    )
    line.net_amount = amounts.net
    line.tax_amount = amounts.tax
    line.line_total = amounts.total
    return line


def line_cost(line: OrderLine) -> Decimal:
    """What the goods of an order line cost the business (quantity × unit cost, rounded)."""
    return line_amounts(quantity=line.quantity, unit_price=line.unit_cost).net


def build_lines(line_model: type[DocumentLine], lines: Sequence[LineInput], **parent) -> list[DocumentLine]:
    """Validated, priced (unsaved) lines of ``line_model`` from ``lines``.

    Raises ValidationError naming the line at fault, so a form can show it next to the row."""
    if not lines:
        raise ValidationError(_("Add at least one line."))
    built = []
    for index, data in enumerate(lines, start=1):
        product: Product | None = data.get("product")
        if product is None:
            raise ValidationError(_("Line %(number)s: choose a product.") % {"number": index})
        line = line_model(
            **parent,
            product=product,
            description=(data.get("description") or "").strip(),
            quantity=data.get("quantity") if data.get("quantity") is not None else Decimal(1),
            unit_price=_or_default(data.get("unit_price"), product.list_price),
            discount_percent=_or_default(data.get("discount_percent"), ZERO),
            tax_rate=_or_default(data.get("tax_rate"), product.tax_rate),
        )
        if isinstance(line, OrderLine):
            line.unit_cost = product.unit_cost
        _check_line(line, index)
        price_line(line)
        try:
            # The product arrives as a row (no lookup per line); the document may be unsaved yet.
            line.full_clean(exclude=["product", "quote", "order"])
        except ValidationError as error:
            messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
            raise ValidationError(_("Line %(number)s: %(errors)s") % {"number": index, "errors": messages}) from error
        built.append(line)
    return built


def _or_default(value, default: Decimal) -> Decimal:
    return default if value is None or value == "" else Decimal(value)


def _check_line(line: DocumentLine, index: int) -> None:
    problems = []
    if line.quantity <= 0:
        problems.append(_("the quantity must be more than zero"))
    if line.unit_price < 0:
        problems.append(_("the unit price cannot be negative"))
    if not ZERO <= line.discount_percent <= 100:
        problems.append(_("the discount must be between 0 and 100%"))
    if not ZERO <= line.tax_rate <= 100:
        problems.append(_("the tax rate must be between 0 and 100%"))
    if problems:
        raise ValidationError(_("Line %(number)s: %(problems)s.") % {"number": index, "problems": ", ".join(problems)})


def apply_totals(document: DocumentTotals, lines: Iterable[DocumentLine]) -> None:
    """Set the document's stored totals from its lines (sales/totals.py sums them)."""
    amounts = document_amounts(
        line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        for line in lines
    )
    for field, value in amounts.as_fields().items():
        setattr(document, field, value)


def lines_as_input(lines: Iterable[DocumentLine]) -> list[dict]:
    """Existing lines as line input (to copy a quote's lines onto an order, for example)."""
    return [
        {
            "product": line.product,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_rate": line.tax_rate,
        }
        for line in lines
    ]


def lines_preview(*, lines: Sequence[LineInput]) -> tuple[list[DocumentLine], DocumentAmounts]:
    """Price lines without saving anything: the editor's "recalculate" button."""
    built = build_lines(QuoteLine, lines)
    return built, document_amounts(
        line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        for line in built
    )


@transaction.atomic
def document_totals_refresh(*, document: DocumentTotals) -> DocumentTotals:
    """Re-price every line of a quote or order and store the document's totals again (after
    lines were changed outside the services, e.g. in the admin)."""
    lines = list(document.lines.select_related("product"))
    for line in lines:
        price_line(line)
    if lines:
        type(lines[0]).objects.bulk_update(lines, ["net_amount", "tax_amount", "line_total"])
    apply_totals(document, lines)
    fields = ["subtotal", "discount_total", "tax_total", "total"]
    if isinstance(document, Order):
        document.cost_total = sum((line_cost(line) for line in lines), ZERO)
        fields.append("cost_total")
    document.save(update_fields=fields)
    return document
