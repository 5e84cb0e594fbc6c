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

from sales.demo.common import DAY, YEARS, Clock, Pick
from sales.models import Product, ProductCategory
from sales.services.catalog import product_prepare
from sales.totals import LineAmounts, line_amounts

MILLION = 1_000_000
TAX_RATE = Decimal(10)  # Iran's VAT
# Prices rise about 30% a year: an order pays its quarter's price, not today's list price.
QUARTERLY_RISE = 1.068
QUARTERS = YEARS * 4 + 1

CATEGORY_TREE: dict[str, tuple[str, ...]] = {
    "Appliances": ("Kitchen", "Laundry and cleaning", "Cooling and heating"),
    "Electronics": ("Phones", "TVs", "Laptops", "Audio", "Accessories"),
    "Furniture": ("Office furniture", "Living room"),
    "Office supplies": ("Printers", "Paper and ink"),
}


@dataclass
class Family:
    """Products of one kind: each item (brand, model, price in millions of rials) becomes one
    product per size and colour. ``fits``: the family whose products these accessories go with,
    matched by ``match`` ("model": made for that model, "brand": the same brand, "any")."""

    code: str
    category: str
    kind: str
    items: list[tuple[str, str, float]]
    sizes: list[tuple[str, float]] = field(default_factory=lambda: [("", 1.0)])
    colours: list[str] = field(default_factory=lambda: [""])
    colours_each: int = 1
    margin: tuple[int, int] = (15, 30)
    weight: int | None = None  # its share of its top category's sales (default 10, accessories 2)
    bulk: bool = False  # cheap items bought by the dozen by businesses
    fits: str = ""
    match: str = "any"
    chance: float = 0.0  # how often a buyer of the ``fits`` family takes one of these


FAMILIES = [
    Family(
        "PH", "Phones", "Smartphone",
        [("Samsung", "Galaxy A05", 70), ("Samsung", "Galaxy A15", 95), ("Samsung", "Galaxy A25", 135),
         ("Samsung", "Galaxy A35", 190),
         ("Samsung", "Galaxy A55", 250), ("Samsung", "Galaxy S24", 480), ("Samsung", "Galaxy S24 Ultra", 820),
         ("Xiaomi", "Redmi A3", 55), ("Xiaomi", "Redmi 13", 85), ("Xiaomi", "Redmi Note 13", 120),
         ("Xiaomi", "Redmi Note 13 Pro", 175),
         ("Xiaomi", "Poco X6 Pro", 210), ("Apple", "iPhone 13", 560), ("Apple", "iPhone 15", 780),
         ("Apple", "iPhone 15 Pro", 1_050), ("Honor", "X8b", 110), ("Honor", "90", 230)],
        sizes=[("128 GB", 1.0), ("256 GB", 1.16)], colours=["Black", "White", "Blue", "Green"], colours_each=3,
        margin=(15, 22), weight=40,
    ),
    Family(
        "PC", "Accessories", "Case", [], colours=["Black", "Clear"], colours_each=2, margin=(35, 45), bulk=True,
        fits="PH", match="model", chance=0.45,
    ),
    Family(
        "SP", "Accessories", "Screen protector", [], margin=(38, 45), bulk=True, fits="PH", match="model", chance=0.35,
    ),
    Family(
        "CH", "Accessories", "Charger",
        [("Samsung", "25W USB-C charger", 9), ("Samsung", "45W USB-C charger", 16), ("Xiaomi", "33W charger", 7),
         ("Xiaomi", "67W charger", 12), ("Apple", "20W USB-C adapter", 14), ("Honor", "35W SuperCharge", 8),
         ("Anker", "65W GaN charger", 18)],
        colours=["White", "Black"], margin=(30, 42), bulk=True, fits="PH", match="brand", chance=0.3,
    ),
    Family(
        "EB", "Audio", "Earbuds",
        [("Samsung", "Galaxy Buds FE", 45), ("Samsung", "Galaxy Buds2 Pro", 95), ("Xiaomi", "Redmi Buds 5", 18),
         ("Apple", "AirPods 3", 110), ("Apple", "AirPods Pro 2", 160), ("Anker", "Soundcore Life P3", 25)],
        colours=["White", "Black"], margin=(20, 32), weight=14, fits="PH", match="brand", chance=0.15,
    ),
    Family(
        "PB", "Accessories", "Power bank",
        [("Xiaomi", "Power bank 10000", 9), ("Xiaomi", "Power bank 20000", 14), ("Anker", "PowerCore 20000", 19)],
        colours=["Black", "White"], margin=(28, 40), bulk=True, fits="PH", match="any", chance=0.08,
    ),
    Family(
        "TV", "TVs", "LED TV",
        [("Samsung", "Crystal UHD", 18), ("Samsung", "QLED Q60", 26), ("LG", "UHD UR78", 17), ("LG", "OLED C3", 55),
         ("Sony", "Bravia X75", 24), ("X.Vision", "XTU", 9), ("Snowa", "Smart SSD", 8), ("TCL", "C645", 14),
         ("Xiaomi", "TV A Pro", 12)],
        sizes=[("43 inch", 1.0), ("55 inch", 1.55), ("65 inch", 2.3)], margin=(15, 22), weight=25,
    ),
    Family(
        "WM", "Accessories", "TV wall mount",
        [("Kenzo", "Fixed mount 32-55", 3), ("Kenzo", "Tilting mount 43-75", 5), ("Vogel's", "Full-motion 40-65", 14)],
        margin=(35, 45), bulk=True, fits="TV", match="any", chance=0.4,
    ),
    Family(
        "SB", "Audio", "Soundbar",
        [("Samsung", "HW-B550", 95), ("Samsung", "HW-Q700C", 190), ("LG", "S65Q", 105), ("Sony", "HT-S400", 120)],
        margin=(18, 28), weight=6, fits="TV", match="brand", chance=0.2,
    ),
    Family(
        "HD", "Accessories", "HDMI cable", [("Ugreen", "HDMI 2.1 cable 2 m", 2.5), ("Ugreen", "HDMI 2.1 cable 5 m", 4)],
        margin=(40, 45), bulk=True, fits="TV", match="any", chance=0.3,
    ),
    Family(
        "LT", "Laptops", "Laptop",
        [("Lenovo", "IdeaPad Slim 3", 420), ("Lenovo", "ThinkPad E14", 690), ("Asus", "VivoBook 15", 390),
         ("Asus", "ZenBook 14 OLED", 780), ("HP", "250 G10", 360), ("HP", "ProBook 450", 640),
         ("Apple", "MacBook Air M2", 980), ("Apple", "MacBook Air M3", 1_250)],
        sizes=[("8 GB / 512 GB", 1.0), ("16 GB / 512 GB", 1.18)], colours=["Grey", "Silver"], margin=(15, 20),
        weight=18,
    ),
    Family(
        "MS", "Accessories", "Mouse", [("Logitech", "M190 wireless mouse", 4), ("Logitech", "MX Master 3S", 32)],
        colours=["Black", "Grey"], margin=(30, 40), bulk=True, fits="LT", match="any", chance=0.35,
    ),
    Family(
        "LB", "Accessories", "Laptop bag", [("Targus", "15.6 inch backpack", 12), ("Samsonite", "Laptop sleeve", 9)],
        margin=(35, 45), bulk=True, fits="LT", match="any", chance=0.25,
    ),
    Family(
        "RF", "Kitchen", "Refrigerator",
        [("Samsung", "Side-by-side RS62", 780), ("LG", "Bottom freezer GBB", 520), ("Snowa", "Fridge-freezer S8", 310),
         ("Emersun", "Twin FN20", 290), ("Pakshoma", "Combi RFN", 270)],
        colours=["Silver", "White", "Black"], colours_each=2, margin=(15, 24), weight=20,
    ),
    Family(
        "MW", "Kitchen", "Microwave",
        [("Samsung", "MG23 grill microwave", 58), ("LG", "NeoChef 25 L", 64), ("Panasonic", "NN-ST34", 55)],
        colours=["Black", "White"], margin=(18, 28), weight=10,
    ),
    Family(
        "CM", "Kitchen", "Coffee machine",
        [("De'Longhi", "Dedica EC685", 95), ("De'Longhi", "Magnifica S", 240), ("Philips", "Series 2200", 210),
         ("Gastroback", "Design Espresso Plus", 130)],
        colours=["Silver", "Black"], margin=(20, 30), weight=8,
    ),
    Family(
        "CG", "Kitchen", "Coffee grinder", [("De'Longhi", "KG79", 22), ("Gastroback", "Design Advanced", 35)],
        margin=(25, 35), fits="CM", match="any", chance=0.3,
    ),
    Family(
        "SK", "Kitchen", "Small kitchen appliance",
        [("Philips", "Air fryer XL", 65), ("Philips", "Blender 5000", 28), ("Bosch", "Kettle TWK", 14),
         ("Tefal", "Toaster TT", 12), ("Moulinex", "Food processor", 45), ("Bosch", "Hand mixer", 11)],
        colours=["White", "Black"], margin=(22, 32), weight=16,
    ),
    Family(
        "WA", "Laundry and cleaning", "Washing machine",
        [("LG", "Front loader 8 kg", 390), ("LG", "Front loader 9 kg", 450), ("Samsung", "EcoBubble 9 kg", 470),
         ("Snowa", "Octa 8 kg", 260), ("Boost", "Smart 7 kg", 210)],
        colours=["White", "Silver"], margin=(15, 24), weight=18,
    ),
    Family(
        "DR", "Laundry and cleaning", "Dryer", [("LG", "Heat-pump dryer 9 kg", 420), ("Samsung", "Dryer 8 kg", 380)],
        colours=["White"], margin=(15, 22), fits="WA", match="brand", chance=0.12,
    ),
    Family(
        "WK", "Laundry and cleaning", "Washer installation kit",
        [("Kenzo", "Anti-vibration pads", 1.5), ("Kenzo", "Inlet and drain hose set", 2)],
        margin=(40, 45), bulk=True, fits="WA", match="any", chance=0.45,
    ),
    Family(
        "VC", "Laundry and cleaning", "Vacuum cleaner",
        [("Bosch", "Series 6 bagless", 85), ("Philips", "PowerPro", 70), ("Xiaomi", "Robot vacuum S10", 120),
         ("Pars Khazar", "VC-2000", 38)],
        margin=(18, 30), weight=10,
    ),
    Family(
        "AC", "Cooling and heating", "Split air conditioner",
        [("Gree", "Lomo", 210), ("LG", "Dual Inverter", 300), ("Samsung", "WindFree", 330), ("TCL", "Elite", 180)],
        sizes=[("12000 BTU", 1.0), ("18000 BTU", 1.35), ("24000 BTU", 1.7)], margin=(15, 24), weight=14,
    ),
    Family(
        "IK", "Cooling and heating", "AC installation kit",
        [("Kenzo", "Copper pipe kit 3 m", 8), ("Kenzo", "Wall bracket", 3)],
        margin=(35, 45), bulk=True, fits="AC", match="any", chance=0.6,
    ),
    Family(
        "EC", "Cooling and heating", "Evaporative cooler",
        [("Energy", "EC-0550", 95), ("Absal", "AC-48", 80)], margin=(18, 28), weight=8,
    ),
    Family(
        "HT", "Cooling and heating", "Heater",
        [("Pars Khazar", "Oil heater 11 fins", 32), ("De'Longhi", "Fan heater", 18)],
        margin=(20, 30), weight=6,
    ),
    Family(
        "DK", "Office furniture", "Office desk",
        [("Niloo", "Desk 120 cm", 28), ("Niloo", "Desk 160 cm", 38), ("Raad", "Manager desk", 95),
         ("Raad", "Standing desk", 120)],
        colours=["Oak", "White", "Walnut"], colours_each=2, margin=(25, 40), weight=20, bulk=True,
    ),
    Family(
        "OC", "Office furniture", "Office chair",
        [("Niloo", "Task chair", 14), ("Niloo", "Mesh chair", 22), ("Raad", "Executive chair", 48),
         ("Raad", "Visitor chair", 9)],
        colours=["Black", "Grey"], margin=(25, 40), weight=22, bulk=True, fits="DK", match="any", chance=0.6,
    ),
    Family(
        "CB", "Office furniture", "Cabinet", [("Niloo", "Filing cabinet", 19), ("Raad", "Bookcase", 26)],
        colours=["Oak", "White"], margin=(25, 40), weight=8, bulk=True,
    ),
    Family(
        "SF", "Living room", "Sofa",
        [("Mobl Iran", "Three-seater sofa", 180), ("Mobl Iran", "Corner sofa", 290), ("Homa", "Armchair", 65)],
        colours=["Grey", "Beige", "Navy"], colours_each=2, margin=(25, 40), weight=10,
    ),
    Family(
        "TS", "Living room", "TV stand", [("Homa", "TV stand 160 cm", 32), ("Homa", "TV stand 200 cm", 45)],
        colours=["Walnut", "White"], margin=(25, 40), weight=4, fits="TV", match="any", chance=0.1,
    ),
    Family(
        "PR", "Printers", "Printer",
        [("HP", "LaserJet M111w", 95), ("HP", "LaserJet Pro MFP 4103", 260), ("Canon", "i-SENSYS MF3010", 110),
         ("Canon", "Pixma G3420", 75)],
        margin=(15, 22), weight=10,
    ),
    Family(
        "TN", "Paper and ink", "Toner and ink",
        [("HP", "Toner 150A", 9), ("HP", "Toner 151A", 16), ("Canon", "Toner 725", 8), ("Canon", "Ink GI-41 set", 6)],
        margin=(28, 40), bulk=True, weight=10, fits="PR", match="brand", chance=0.7,
    ),
    Family(
        "PA", "Paper and ink", "Paper", [("PaperOne", "A4 80 g, box of 5 reams", 9), ("Double A", "A4 80 g ream", 2)],
        margin=(15, 25), bulk=True, weight=14,
    ),
]  # fmt: skip

# What each kind of customer buys, by top-level category (first line of an order).
SEGMENT_TASTE = {
    "Retail": {"Electronics": 52, "Appliances": 38, "Furniture": 8, "Office supplies": 2},
    "Wholesale": {"Electronics": 42, "Appliances": 45, "Furniture": 10, "Office supplies": 3},
    "Corporate": {"Electronics": 32, "Appliances": 8, "Furniture": 30, "Office supplies": 30},
    "Partners": {"Electronics": 45, "Appliances": 45, "Furniture": 5, "Office supplies": 5},
    "": {"Electronics": 50, "Appliances": 38, "Furniture": 10, "Office supplies": 2},
}
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
