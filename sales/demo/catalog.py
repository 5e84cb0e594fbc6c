"""The demo catalogue: a category tree and about 300 products of an Iranian appliance, electronics
and furniture dealer, with prices in rials, a margin each, a few bestsellers, and accessories that
go with the main products (cases and chargers with phones, mounts and soundbars with TVs...), so
that co-purchase suggestions have something to find.

``Catalogue`` also answers what the order generator asks: pick a product for a customer, the
accessories that go with it, and a line's amounts at the price of its quarter (computed once per
product, quarter, quantity and discount by ``sales/totals.py``).
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from sales.demo.catalog_data import CATEGORY_TREE, FAMILIES, SEGMENT_TASTE, Family
from sales.demo.common import DAY, YEARS, Clock, Pick
from sales.models import Product, ProductCategory
from sales.services.catalog import product_prepare
from sales.totals import LineAmounts, line_amounts

MILLION = 1_000_000
TAX_RATE = Decimal(10)  # Iran's VAT
# Prices rise about 30% a year: an order pays its quarter's price, not today's list price.
QUARTERLY_RISE = 1.068

BESTSELLERS = 10  # products that sell several times as much as their peers


@dataclass(slots=True)
class Item:
    pk: int
    family: str
    category: str
    top: str
    brand: str
    model: str
    list_price: Decimal
    unit_cost: Decimal
    active: bool
    bulk: bool
    companions: list[tuple[float, list[int]]] = field(default_factory=list)


class Catalogue:
    def __init__(self, rng: random.Random, clock: Clock) -> None:
        self.rng = rng
        self.clock = clock
        self.items: list[Item] = []
        self.rows: list[Product] = []
        self._build()
        self._amounts: dict[tuple, tuple] = {}

    # --- building --------------------------------------------------------------------------

    def _build(self) -> None:
        rng = self.rng
        tops = {child: top for top, children in CATEGORY_TREE.items() for child in children}
        by_family: dict[str, list[int]] = {}
        for family in FAMILIES:
            number = 0
            for brand, model, name, price in self._family_items(family):
                colours = rng.sample(family.colours, min(family.colours_each, len(family.colours)))
                for size, factor in family.sizes:
                    for colour in colours:
                        number += 1
                        sku = f"{family.code}-{number:04d}"
                        self._add(family, tops[family.category], sku, brand, model, name, price * factor, size, colour)
                        by_family.setdefault(family.code, []).append(len(self.items) - 1)
        self.by_family = by_family
        self._link_companions(by_family)
        self._pickers(by_family)

    @staticmethod
    def _family_items(family: Family) -> list[tuple[str, str, str, float]]:
        """(brand, model, name, price) of each item; accessories made for each model of the
        family they fit ("Case for Samsung Galaxy A55") when the family lists none."""
        if family.items:
            return [(brand, model, f"{brand} {model}", price) for brand, model, price in family.items]
        anchor = next(item for item in FAMILIES if item.code == family.fits)
        base = 1.2 if family.kind == "Screen protector" else 2.5
        return [
            (brand, f"{brand} {model}", f"{family.kind} for {brand} {model}", base + price / 200)
            for brand, model, price in anchor.items
        ]

    def _add(self, family, top, sku, brand, model, name, price, size, colour) -> None:
        rng = self.rng
        # Rounded to 10,000 rials (1,000 toman), as prices are quoted.
        list_price = Decimal(round(price * MILLION / 10_000) * 10_000)
        margin = rng.uniform(*family.margin) / 100
        unit_cost = Decimal(round(float(list_price) * (1 - margin) / 10_000) * 10_000)
        name = ", ".join(part for part in (f"{name} {size}".strip(), colour) if part)
        active = rng.random() > 0.06
        attributes = {"type": family.kind}
        if family.fits:
            attributes["goes with"] = next(item.kind for item in FAMILIES if item.code == family.fits)
        product = Product(
            sku=sku,
            name=name,
            brand=brand,
            colour=colour,
            size=size,
            attributes=attributes,
            description=f"{family.kind} by {brand}.",
            list_price=list_price,
            unit_cost=unit_cost,
            tax_rate=TAX_RATE,
            is_active=active,
        )
        product_prepare(product)
        self.rows.append(product)
        self.items.append(
            Item(0, family.code, family.category, top, brand, model, list_price, unit_cost, active, family.bulk)
        )

    def _link_companions(self, by_family: dict[str, list[int]]) -> None:
        for family in FAMILIES:
            if not family.fits:
                continue
            for anchor_index in by_family[family.fits]:
                anchor = self.items[anchor_index]
                candidates = by_family[family.code]
                if family.match == "model":  # the accessory's model is the anchor's "brand model"
                    candidates = [i for i in candidates if self.items[i].model == f"{anchor.brand} {anchor.model}"]
                elif family.match == "brand":
                    candidates = [i for i in candidates if self.items[i].brand == anchor.brand] or candidates
                if candidates:
                    anchor.companions.append((family.chance, candidates))

    def _pickers(self, by_family: dict[str, list[int]]) -> None:
        """Within a family, a few models sell far more (a Zipf-like curve); a handful of
        bestsellers sell more again. Accessories mostly sell with what they fit."""
        rng = self.rng
        weights = [0.0] * len(self.items)
        for family in FAMILIES:
            indices = by_family[family.code]
            order = indices[:]
            rng.shuffle(order)
            for rank, index in enumerate(order):
                weights[index] = 1 / (rank + 1) ** 0.9
        for index in rng.sample(range(len(self.items)), BESTSELLERS):
            weights[index] *= 6
        self.family_weights: dict[str, dict[str, int]] = {}
        for family in FAMILIES:
            top = self.items[by_family[family.code][0]].top
            weight = family.weight if family.weight is not None else (2 if family.fits else 10)
            self.family_weights.setdefault(top, {})[family.code] = weight
        self.top_picks = {segment: Pick(list(taste), list(taste.values())) for segment, taste in SEGMENT_TASTE.items()}
        self.family_picks = {top: Pick(list(fam), list(fam.values())) for top, fam in self.family_weights.items()}
        self.product_picks = {
            (code, recent): Pick(
                [i for i in indices if self.items[i].active or not recent],
                [weights[i] for i in indices if self.items[i].active or not recent],
            )
            for code, indices in by_family.items()
            for recent in (False, True)
        }

    # --- writing ---------------------------------------------------------------------------

    def write(self, table_for, start_ids: dict) -> tuple[int, int]:
        """Insert the categories and products missing from the database; every item learns its
        id. Returns (categories written, products written)."""
        categories = self._categories(table_for, start_ids[ProductCategory])
        existing = dict(Product.objects.filter(sku__in=[row.sku for row in self.rows]).values_list("sku", "pk"))
        products = table_for(Product, with_pk=True)
        next_id = start_ids[Product]
        created = self.clock.at(-(YEARS * 365 + 30) * DAY + 10 * 3600)
        written = 0
        for item, row in zip(self.items, self.rows, strict=True):
            if row.sku in existing:
                item.pk = existing[row.sku]
                continue
            item.pk = next_id
            next_id += 1
            written += 1
            products.add(
                id=item.pk,
                sku=row.sku,
                name=row.name,
                category_id=categories[item.category],
                brand=row.brand,
                colour=row.colour,
                size=row.size,
                attributes=row.attributes,
                description=row.description,
                list_price=row.list_price,
                unit_cost=row.unit_cost,
                tax_rate=row.tax_rate,
                is_active=row.is_active,
                search_text=row.search_text,
                created_at=created,
                updated_at=created,
            )
        products.flush()
        return len(categories), written

    def _categories(self, table_for, next_id: int) -> dict[str, int]:
        """The tree's categories by name, made where missing with their materialised paths."""
        known = {(parent, name): (pk, path) for pk, parent, name, path in ProductCategory.objects.values_list(
            "pk", "parent_id", "name", "path"
        )}  # fmt: skip
        table = table_for(ProductCategory, with_pk=True)
        ids: dict[str, int] = {}
        for top, children in CATEGORY_TREE.items():
            for parent, name, depth in [(None, top, 0), *((top, child, 1) for child in children)]:
                parent_id = ids.get(parent) if parent else None
                found = known.get((parent_id, name))
                if found is None:
                    parent_path = known[(None, top)][1] if depth else ""
                    found = (next_id, f"{parent_path}{next_id}/")
                    known[(parent_id, name)] = found
                    table.add(id=next_id, name=name, parent_id=parent_id, path=found[1], depth=depth)
                    next_id += 1
                ids[name] = found[0]
        table.flush()
        return ids

    # --- picking ---------------------------------------------------------------------------

    def pick(self, rng: random.Random, *, top: str, recent: bool) -> int:
        family = self.family_picks[top](rng)
        return self.product_picks[(family, recent)](rng)

    def amounts(self, index: int, quarter: int, quantity: int, discount: int) -> tuple:
        """(unit price, unit cost, LineAmounts, cost of goods) of a line, priced for its quarter."""
        key = (index, quarter, quantity, discount)
        found = self._amounts.get(key)
        if found is None:
            item = self.items[index]
            factor = QUARTERLY_RISE**-quarter
            price = Decimal(round(float(item.list_price) * factor / 10_000) * 10_000)
            cost = Decimal(round(float(item.unit_cost) * factor / 10_000) * 10_000)
            amounts: LineAmounts = line_amounts(
                quantity=Decimal(quantity), unit_price=price, discount_percent=Decimal(discount), tax_rate=TAX_RATE
            )
            cost_total = line_amounts(quantity=Decimal(quantity), unit_price=cost).net
            found = self._amounts[key] = (price, cost, amounts, cost_total)
        return found
