"""The demo catalogue's data: the category tree, the product families (brands, models and prices
of an Iranian appliance, electronics and furniture dealer), which accessories go with what, and
what each kind of customer buys."""

from dataclasses import dataclass, field

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
