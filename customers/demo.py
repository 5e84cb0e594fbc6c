"""Demo customers: people and organisations across Iran, their contacts, classification and timeline.

``seed(ctx)`` makes ``ctx.customers`` customers (about 85% people, the rest organisations with
contact people), phones and emails, groups (a hierarchy), tags, interests, consent, demographics,
owners among the demo sales staff, a few timeline entries each (a long one for a handful of key
accounts), and a few duplicates on purpose for the duplicate check: the same mobile under another
spelling of the name, and the same name in the same city.

Everything comes from ``ctx.rng_for("customers")``, so a seed gives the same customers every time;
dates are relative to today. It writes in bulk, a chunk of customers at a time, with ids assigned
up front (so codes follow the ``C{id:06d}`` rule of ``customer_create`` and contacts, phones and
timeline rows can point at customers without reading them back).
"""

import random
import unicodedata
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from types import SimpleNamespace

from django.db.models import Max
from django.utils import timezone

from crm_site.bulkload import (
    BulkTable,
    BulkTables,
    CopyTable,
    bulk_table,
    copy_text,  # noqa: F401  (kept importable from here, as before)
    sequences_reset,
)
from crm_site.demo import DemoContext
from crm_site.text import search_key
from customers.models import (
    Customer,
    CustomerEmail,
    CustomerGroup,
    CustomerPhone,
    Interaction,
    Interest,
    Source,
    Tag,
)
from customers.services import build_search_text

CHUNK = 5000  # customers generated and inserted at a time (memory stays flat)
YEARS = 3  # customers were acquired over the last three years

# --- reference data -------------------------------------------------------------------------------

# (English, Persian, province code, area code, weight, districts)
CITIES = [
    (
        "Tehran",
        "تهران",
        "tehran",
        "21",
        300,
        [
            "Tajrish",
            "Vanak",
            "Saadat Abad",
            "Pasdaran",
            "Narmak",
            "Yousef Abad",
            "Shahrak-e Gharb",
            "Tehranpars",
            "Jordan",
            "Navvab",
        ],
    ),
    ("Karaj", "کرج", "alborz", "26", 40, ["Gohardasht", "Mehrshahr", "Azimieh"]),
    ("Mashhad", "مشهد", "razavi-khorasan", "51", 60, ["Ahmad Abad", "Sajjad", "Vakil Abad"]),
    ("Isfahan", "اصفهان", "isfahan", "31", 55, ["Jolfa", "Chaharbagh", "Sepahan Shahr"]),
    ("Shiraz", "شیراز", "fars", "71", 45, ["Maali Abad", "Eram", "Zand"]),
    ("Tabriz", "تبریز", "east-azerbaijan", "41", 40, ["Valiasr", "Abresan", "Roshdieh"]),
    ("Ahvaz", "اهواز", "khuzestan", "61", 25, ["Kianpars", "Golestan"]),
    ("Qom", "قم", "qom", "25", 20, []),
    ("Kermanshah", "کرمانشاه", "kermanshah", "83", 15, []),
    ("Rasht", "رشت", "gilan", "13", 18, ["Golsar", "Manzariyeh"]),
    ("Urmia", "ارومیه", "west-azerbaijan", "44", 14, []),
    ("Yazd", "یزد", "yazd", "35", 12, []),
    ("Kerman", "کرمان", "kerman", "34", 12, []),
    ("Hamadan", "همدان", "hamadan", "81", 10, []),
    ("Arak", "اراک", "markazi", "86", 10, []),
    ("Ardabil", "اردبیل", "ardabil", "45", 8, []),
    ("Zanjan", "زنجان", "zanjan", "24", 8, []),
    ("Qazvin", "قزوین", "qazvin", "28", 10, []),
    ("Sari", "ساری", "mazandaran", "11", 10, []),
    ("Babol", "بابل", "mazandaran", "11", 7, []),
    ("Gorgan", "گرگان", "golestan", "17", 8, []),
    ("Bandar Abbas", "بندرعباس", "hormozgan", "76", 9, []),
    ("Bushehr", "بوشهر", "bushehr", "77", 6, []),
    ("Zahedan", "زاهدان", "sistan-baluchestan", "54", 6, []),
    ("Kashan", "کاشان", "isfahan", "31", 7, []),
    ("Sanandaj", "سنندج", "kurdistan", "87", 6, []),
    ("Khorramabad", "خرم‌آباد", "lorestan", "66", 6, []),
    ("Birjand", "بیرجند", "south-khorasan", "56", 4, []),
    ("Bojnurd", "بجنورد", "north-khorasan", "58", 4, []),
    ("Semnan", "سمنان", "semnan", "23", 4, []),
    ("Ilam", "ایلام", "ilam", "84", 3, []),
    ("Yasuj", "یاسوج", "kohgiluyeh-boyer-ahmad", "74", 3, []),
    ("Shahrekord", "شهرکرد", "chaharmahal-bakhtiari", "38", 4, []),
]
NORTH = {"gilan", "mazandaran", "golestan", "ardabil"}
SOUTH = {"fars", "khuzestan", "hormozgan", "bushehr", "kerman", "sistan-baluchestan", "kohgiluyeh-boyer-ahmad"}

STREETS = [
    ("Valiasr", "ولیعصر"),
    ("Enghelab", "انقلاب"),
    ("Azadi", "آزادی"),
    ("Ferdowsi", "فردوسی"),
    ("Hafez", "حافظ"),
    ("Shariati", "شریعتی"),
    ("Motahari", "مطهری"),
    ("Taleghani", "طالقانی"),
    ("Keshavarz", "کشاورز"),
    ("Mirdamad", "میرداماد"),
    ("Golestan", "گلستان"),
    ("Bahar", "بهار"),
    ("Saadi", "سعدی"),
    ("Jomhouri", "جمهوری"),
    ("Sepah", "سپه"),
]

# (English, Persian) first names
MALE = [
    ("Mohammad", "محمد"), ("Ali", "علی"), ("Hossein", "حسین"), ("Reza", "رضا"), ("Mehdi", "مهدی"),
    ("Amir", "امیر"), ("Hamid", "حمید"), ("Saeed", "سعید"), ("Majid", "مجید"), ("Mostafa", "مصطفی"),
    ("Ahmad", "احمد"), ("Javad", "جواد"), ("Behrouz", "بهروز"), ("Kamran", "کامران"), ("Arash", "آرش"),
    ("Babak", "بابک"), ("Dariush", "داریوش"), ("Farhad", "فرهاد"), ("Pouya", "پویا"), ("Sina", "سینا"),
    ("Omid", "امید"), ("Nima", "نیما"), ("Kian", "کیان"), ("Milad", "میلاد"), ("Hamed", "حامد"),
    ("Vahid", "وحید"), ("Masoud", "مسعود"), ("Behzad", "بهزاد"), ("Shahram", "شهرام"), ("Houman", "هومن"),
    ("Kourosh", "کوروش"), ("Peyman", "پیمان"), ("Siavash", "سیاوش"), ("Ebrahim", "ابراهیم"), ("Yousef", "یوسف"),
    ("Mohsen", "محسن"), ("Morteza", "مرتضی"), ("Abbas", "عباس"), ("Navid", "نوید"), ("Ramin", "رامین"),
]  # fmt: skip
FEMALE = [
    ("Fatemeh", "فاطمه"), ("Zahra", "زهرا"), ("Maryam", "مریم"), ("Sara", "سارا"), ("Narges", "نرگس"),
    ("Leila", "لیلا"), ("Mina", "مینا"), ("Samira", "سمیرا"), ("Nazanin", "نازنین"), ("Elham", "الهام"),
    ("Shima", "شیما"), ("Parisa", "پریسا"), ("Nasrin", "نسرین"), ("Mahsa", "مهسا"), ("Azadeh", "آزاده"),
    ("Farnaz", "فرناز"), ("Niloufar", "نیلوفر"), ("Shirin", "شیرین"), ("Roya", "رویا"), ("Sanaz", "ساناز"),
    ("Hanieh", "هانیه"), ("Kimia", "کیمیا"), ("Yasaman", "یاسمن"), ("Taraneh", "ترانه"), ("Golnaz", "گلناز"),
    ("Bahareh", "بهاره"), ("Sepideh", "سپیده"), ("Tahereh", "طاهره"), ("Masoumeh", "معصومه"), ("Parvin", "پروین"),
    ("Aida", "آیدا"), ("Hasti", "هستی"), ("Reyhaneh", "ریحانه"), ("Setareh", "ستاره"), ("Fereshteh", "فرشته"),
    ("Negar", "نگار"), ("Atefeh", "عاطفه"), ("Mahnaz", "مهناز"), ("Zohreh", "زهره"), ("Neda", "ندا"),
]  # fmt: skip
SURNAMES = [
    ("Ahmadi", "احمدی"), ("Mohammadi", "محمدی"), ("Hosseini", "حسینی"), ("Rezaei", "رضایی"), ("Karimi", "کریمی"),
    ("Mousavi", "موسوی"), ("Jafari", "جعفری"), ("Rahimi", "رحیمی"), ("Sadeghi", "صادقی"), ("Kazemi", "کاظمی"),
    ("Ghasemi", "قاسمی"), ("Heydari", "حیدری"), ("Nouri", "نوری"), ("Akbari", "اکبری"), ("Abbasi", "عباسی"),
    ("Soleimani", "سلیمانی"), ("Maleki", "ملکی"), ("Yousefi", "یوسفی"), ("Taheri", "طاهری"), ("Sharifi", "شریفی"),
    ("Zarei", "زارعی"), ("Najafi", "نجفی"), ("Amini", "امینی"), ("Bagheri", "باقری"), ("Ebrahimi", "ابراهیمی"),
    ("Moradi", "مرادی"), ("Rostami", "رستمی"), ("Kermani", "کرمانی"), ("Tehrani", "تهرانی"), ("Shirazi", "شیرازی"),
    ("Esfahani", "اصفهانی"), ("Farhadi", "فرهادی"), ("Bahrami", "بهرامی"), ("Tavakoli", "توکلی"), ("Khosravi", "خسروی"),
    ("Afshar", "افشار"), ("Parsa", "پارسا"), ("Saeedi", "سعیدی"), ("Mansouri", "منصوری"), ("Nikpour", "نیک‌پور"),
    ("Aghaei", "آقایی"), ("Dehghan", "دهقان"), ("Ghorbani", "قربانی"), ("Mirzaei", "میرزایی"), ("Fathi", "فتحی"),
    ("Jalali", "جلالی"), ("Hashemi", "هاشمی"), ("Vakili", "وکیلی"), ("Sobhani", "سبحانی"), ("Ranjbar", "رنجبر"),
    ("Asadi", "اسدی"), ("Safari", "صفری"), ("Kamyab", "کامیاب"), ("Zamani", "زمانی"), ("Yazdani", "یزدانی"),
    ("Shakeri", "شاکری"), ("Rahmani", "رحمانی"), ("Hamidi", "حمیدی"), ("Azizi", "عزیزی"), ("Ansari", "انصاری"),
]  # fmt: skip
# Compound surnames ("Hosseinizadeh", "حسینی‌زاده"); the Persian part is joined with a ZWNJ.
SURNAME_SUFFIXES = [("zadeh", "زاده"), ("pour", "پور"), ("nejad", "نژاد"), ("far", "فر"), ("rad", "راد")]
# Foreign partners and expatriates: names that only exist in Latin script.
WESTERN_MALE = ["John", "David", "Michael", "Thomas", "Daniel", "Lukas", "Marco", "Pierre"]
WESTERN_FEMALE = ["Emma", "Sophie", "Anna", "Laura", "Sarah", "Julia", "Chiara", "Claire"]
WESTERN_SURNAMES = ["Smith", "Müller", "Brown", "Rossi", "Dubois", "Schneider", "Taylor", "Novak", "Jansen", "Weber"]
# Other spellings of the same name, as different people (and keyboards) transliterate it.
VARIANTS = {
    "Mohammad": "Mohamad", "Hossein": "Hosein", "Saeed": "Said", "Masoud": "Masood", "Mostafa": "Mustafa",
    "Yousef": "Yusef", "Kourosh": "Kurosh", "Behrouz": "Behruz", "Pouya": "Puya", "Houman": "Human",
    "Fatemeh": "Fatima", "Maryam": "Mariam", "Niloufar": "Nilofar", "Leila": "Layla", "Hanieh": "Haniyeh",
    "Rezaei": "Rezaee", "Mousavi": "Moosavi", "Hosseini": "Hoseini", "Ghasemi": "Qasemi", "Yousefi": "Yusefi",
    "Zarei": "Zareie", "Aghaei": "Aghaee", "Mirzaei": "Mirzaee", "Ghorbani": "Qorbani", "Heydari": "Heidari",
    "Soleimani": "Soleymani", "Nouri": "Noori", "Saeedi": "Saidi", "Mansouri": "Mansoori", "Esfahani": "Isfahani",
}  # fmt: skip

ORG_WORDS = [
    ("Pars", "پارس"), ("Arya", "آریا"), ("Kavir", "کویر"), ("Alborz", "البرز"), ("Zagros", "زاگرس"),
    ("Sepahan", "سپاهان"), ("Kish", "کیش"), ("Khazar", "خزر"), ("Damavand", "دماوند"), ("Tous", "توس"),
    ("Azar", "آذر"), ("Karun", "کارون"), ("Pasargad", "پاسارگاد"), ("Sahand", "سهند"), ("Mehr", "مهر"),
    ("Novin", "نوین"), ("Pishgaman", "پیشگامان"), ("Behin", "بهین"), ("Arman", "آرمان"), ("Tavana", "توانا"),
]  # fmt: skip
INDUSTRIES = [
    ("Trading", "بازرگانی"), ("Steel", "فولاد"), ("Logistics", "ترابری"), ("Foods", "صنایع غذایی"),
    ("Pharma", "داروسازی"), ("Textiles", "نساجی"), ("Electronics", "الکترونیک"), ("Construction", "ساختمانی"),
    ("Software", "نرم‌افزاری"), ("Petrochemical", "پتروشیمی"), ("Tiles", "کاشی"), ("Dairy", "لبنیات"),
    ("Distribution", "پخش"), ("Medical Equipment", "تجهیزات پزشکی"), ("Packaging", "بسته‌بندی"), ("Automotive", "خودرو"),
]  # fmt: skip
ORG_FORMS = [("{} Co.", "شرکت {}"), ("{} Group", "گروه {}"), ("{} Industries", "صنایع {}")]
JOB_TITLES = [
    "CEO", "Purchasing manager", "Procurement officer", "Sales manager", "Accountant", "Office manager",
    "IT manager", "Operations manager", "Owner", "Marketing manager",
]  # fmt: skip
OCCUPATIONS = [
    "Engineer", "Teacher", "Doctor", "Shop owner", "Accountant", "Student", "Nurse", "Civil servant", "Lawyer",
    "Architect", "Programmer", "Driver", "Retired", "Pharmacist", "Designer", "Farmer", "Homemaker", "Trader",
]  # fmt: skip
LIFESTYLES = ["Urban professional", "Family-oriented", "Outdoor enthusiast", "Tech early adopter", "Budget-conscious"]
MAIL_DOMAINS = [("gmail.com", 50), ("yahoo.com", 20), ("outlook.com", 10), ("chmail.ir", 12), ("mail.ir", 8)]
MOBILE_PREFIXES = [
    "912",
    "919",
    "935",
    "936",
    "937",
    "938",
    "939",
    "901",
    "902",
    "910",
    "911",
    "913",
    "915",
    "921",
    "990",
]

# (name, channel, weight, cost range in thousands of rials or None)
SOURCES = [
    ("Website", Source.Channel.WEBSITE, 22, (200, 2_000)),
    ("Instagram", Source.Channel.SOCIAL, 18, (300, 3_000)),
    ("Customer referral", Source.Channel.REFERRAL, 16, None),
    ("Tehran trade fair", Source.Channel.EXHIBITION, 8, (2_000, 20_000)),
    ("Outbound calls", Source.Channel.PHONE, 10, (500, 4_000)),
    ("Walk-in", Source.Channel.WALK_IN, 10, None),
    ("Nowruz SMS campaign", Source.Channel.CAMPAIGN, 8, (100, 1_500)),
    ("Digikala marketplace", Source.Channel.PARTNER, 8, (1_000, 6_000)),
]
TAGS = [
    ("VIP", "warning", 4), ("Wholesale buyer", "primary", 6), ("Late payer", "danger", 4), ("Newsletter", "info", 12),
    ("Referral partner", "success", 3), ("Price sensitive", "secondary", 8), ("Nowruz gift list", "success", 5),
    ("Prefers Persian", "dark", 6), ("Key account", "primary", 2), ("Do not call", "danger", 2),
]  # fmt: skip
INTERESTS = [
    "Sport", "Travel", "Technology", "Cooking", "Reading", "Music", "Fashion", "Cars", "Gardening", "Photography",
    "Cinema", "Health and fitness",
]  # fmt: skip
# name -> sub-groups (the same shape all the way down)
GROUP_TREE: dict[str, dict] = {
    "Wholesale": {
        "Tehran": {"Key accounts": {}, "Distributors": {}},
        "Provinces": {"North": {}, "South": {}, "Centre, east and west": {}},
    },
    "Retail": {"Online": {}, "Stores": {}, "Instagram shop": {}},
    "Corporate": {"Government": {}, "Private sector": {}},
    "Partners": {"Resellers": {}, "Installers": {}},
}

CALL_TOPICS = [
    "the new price list", "a quotation", "payment follow-up", "the delivery schedule", "after-sales service",
    "renewing the contract", "a complaint about a late delivery", "the Nowruz offer", "a product demo",
]  # fmt: skip
NOTES = [
    "Prefers to be called after 4 pm.",
    "Asked for the catalogue in Persian.",
    "Interested in the premium range; follow up next month.",
    "Pays by cheque; needs an official invoice.",
    "Complained about packaging; replaced the damaged items.",
    "مشتری درخواست پیش‌فاکتور کرد.",
    "برای هفته آینده جلسه هماهنگ شد.",
    "تخفیف ویژه برای خرید عمده خواست.",
]
MEETINGS = ["Product demo at their office", "Contract review", "Quarterly business review", "Visit to the showroom"]
EMAILS = ["Sent the quotation", "Sent the catalogue", "Question about an invoice", "Delivery date confirmed"]
SMS_TEXTS = [
    "Thank you for your purchase.",
    "Reminder: our meeting tomorrow at 10.",
    "Nowruz offer: 15% off this week.",
    "از خرید شما متشکریم.",
    "سفارش شما ارسال شد.",
]
VISITS = ["Visited the store", "Site visit", "Delivered samples"]


class _Pick:
    """A weighted random choice; the cumulative weights are computed once, not on every call."""

    def __init__(self, population: Sequence, weights: Sequence[float]) -> None:
        self.population = list(population)
        self.cum_weights = list(accumulate(weights))

    def __call__(self, rng: random.Random):
        return rng.choices(self.population, cum_weights=self.cum_weights)[0]


# TextChoices.values builds a new list on every access: read them once.
CONSENT_METHODS = Customer.ConsentMethod.values
EMAIL_CONSENT_METHODS = CONSENT_METHODS[:4]  # not "imported"
PICK_CITY = _Pick(range(len(CITIES)), [city[4] for city in CITIES])
PICK_SOURCE = _Pick(range(len(SOURCES)), [source[2] for source in SOURCES])
PICK_TAG = _Pick([tag[0] for tag in TAGS], [tag[2] for tag in TAGS])
PICK_MAIL_DOMAIN = _Pick([domain for domain, _w in MAIL_DOMAINS], [weight for _d, weight in MAIL_DOMAINS])
PICK_MARITAL = _Pick(Customer.MaritalStatus.values, [35, 60, 5])
PICK_EDUCATION = _Pick(Customer.Education.values, [5, 30, 12, 33, 15, 5])
PICK_INCOME = _Pick(Customer.IncomeBand.values, [15, 25, 30, 20, 10])
PICK_STATUS_NEW = _Pick(Customer.Status.values, [70, 25, 4, 1])  # acquired in the last two months
PICK_STATUS = _Pick(Customer.Status.values, [22, 45, 22, 11])
PICK_TAG_COUNT = _Pick([0, 1, 2], [45, 40, 15])
PICK_INTEREST_COUNT = _Pick([0, 1, 2, 3], [40, 25, 20, 15])
PICK_TIMELINE_LENGTH = _Pick([0, 1, 2, 3, 4, 5, 6, 8, 12], [12, 20, 20, 15, 11, 8, 6, 5, 3])  # about 3
PICK_INTERACTION = _Pick(["call", "note", "sms", "email", "meeting", "visit"], [35, 20, 15, 10, 10, 10])
PICK_OUTCOME = _Pick(Interaction.Outcome.values, [60, 15, 8, 7, 2, 8])


# --- generating ---------------------------------------------------------------------------------


@dataclass
class _Person:
    """What a later duplicate needs to copy of an earlier person."""

    first: tuple[str, str]
    last: tuple[str, str]
    persian: bool
    female: bool
    phone: str
    city: int


@dataclass
class _Org:
    pk: int
    city: int
    owner: int
    domain: str


# The bulk writer lives in crm_site/bulkload.py; these names are the ones this module (and its
# tests, which swap ``_table`` for the INSERT path) have always used.
_Table = BulkTable
_CopyTable = CopyTable
_table = bulk_table


class _Tables(BulkTables):
    def __init__(self) -> None:
        # Customers first: everything else points at them.
        super().__init__(
            customers=_table(Customer, with_pk=True),
            phones=_table(CustomerPhone),
            emails=_table(CustomerEmail),
            groups=_table(Customer.groups.through),
            tags=_table(Customer.tags.through),
            interests=_table(Customer.interests.through),
            interactions=_table(Interaction),
        )


class _Generator:
    def __init__(self, ctx: DemoContext, rng: random.Random, refs: dict, start_id: int) -> None:
        self.rng = rng
        self.refs = refs
        self.start_id = start_id
        self.total = ctx.customers
        # Midnight where the business is; kept in UTC, which is cheaper to store.
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        self.today = midnight.astimezone(UTC)
        # (user, team id) of the demo sales staff, and how many customers each owns.
        staff = [("sales1", 40), ("sales2", 40), ("manager", 15)]
        self.owners = [(ctx.users[name], ctx.users[name].team_id) for name, _w in staff if name in ctx.users]
        owner_weights = [weight for name, weight in staff if name in ctx.users] + [5]  # 5%: nobody yet
        self.pick_owner = _Pick(range(len(owner_weights)), owner_weights)
        self.sources, self.tag_ids = refs["sources"], refs["tags"]
        self.used_numbers: set[str] = set()
        self.used_emails: dict[str, int] = {}
        self.used_domains: dict[str, int] = {}
        self.used_org_names: set[str] = set()
        self.orgs: list[_Org] = []
        self.recent_people: deque[_Person] = deque(maxlen=2000)
        self.duplicates = 0
        self.organisations = 0
        self.interactions = 0
        self.duplicate_at = self._duplicate_positions()
        # A few key accounts with a long history: the 360° page's worst case.
        self.long_timelines = set(rng.sample(range(self.total), min(self.total, max(1, self.total // 2000))))
        self.created = self._creation_times()

    def _duplicate_positions(self) -> dict[int, str]:
        if self.total < 50:
            return {}
        count = max(2, self.total // 400)
        positions = self.rng.sample(range(self.total // 5, self.total), count)
        return {index: ("phone" if number % 2 == 0 else "name") for number, index in enumerate(positions)}

    def _creation_times(self) -> list[datetime]:
        """Sorted, so that codes (ids) grow with the date; business grows, so recent days are busier."""
        days = YEARS * 365
        moments = []
        for _ in range(self.total):
            day = 1 + int(days * (1 - self.rng.random() ** 0.8))  # from yesterday back
            seconds = self.rng.randrange(8 * 3600, 20 * 3600)
            moments.append(day * 86400 - seconds)
        moments.sort(reverse=True)
        return [self.today - timedelta(seconds=moment) for moment in moments]

    # small helpers

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def mobile(self) -> str:
        while True:
            number = f"+98{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def landline(self, city: int) -> str:
        while True:
            number = f"+98{CITIES[city][3]}{self.rng.randrange(22_000_000, 89_999_999)}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def email(self, local: str, domain: str | None = None) -> str:
        local = _ascii(local)
        domain = domain or PICK_MAIL_DOMAIN(self.rng)
        address = f"{local}@{domain}"
        seen = self.used_emails.get(address, 0)
        self.used_emails[address] = seen + 1
        return f"{local}{seen + 1}@{domain}" if seen else address

    def moment_after(self, start: datetime, within_days: int | None = None) -> datetime:
        end = self.today if within_days is None else min(self.today, start + timedelta(days=within_days))
        span = max((end - start).total_seconds(), 60)
        return start + timedelta(seconds=self.rng.random() * span)

    def person_name(self, female: bool) -> tuple[tuple[str, str], tuple[str, str]]:
        first = self.rng.choice(FEMALE if female else MALE)
        last = self.rng.choice(SURNAMES)
        if self.chance(0.2):
            suffix = self.rng.choice(SURNAME_SUFFIXES)
            last = (last[0] + suffix[0], f"{last[1]}\u200c{suffix[1]}")
        return first, last

    def org_name(self, city: int) -> tuple[str, str, str]:
        """(English name, Persian name, web domain), not used by another organisation."""
        for _attempt in range(6):
            first, second = self.rng.sample(ORG_WORDS, 2)
            industry = self.rng.choice(INDUSTRIES)
            form = self.rng.choice(ORG_FORMS)
            english = form[0].format(f"{first[0]} {second[0]} {industry[0]}")
            if english not in self.used_org_names:
                break
        else:
            english = f"{english[:-1] if english.endswith('.') else english} ({CITIES[city][0]})"
        self.used_org_names.add(english)
        persian = form[1].format(f"{industry[1]} {first[1]} {second[1]}")
        domain = _ascii(f"{first[0]}{second[0]}{industry[0].split()[0]}") + self.rng.choice([".ir", ".com", ".co.ir"])
        count = self.used_domains.get(domain, 0)
        self.used_domains[domain] = count + 1
        return english, persian, domain if not count else domain.replace(".", f"{count + 1}.", 1)

    # one customer

    def customer(self, index: int, tables: _Tables) -> None:
        rng = self.rng
        pk = self.start_id + index
        created_at = self.created[index]
        fresh = (self.today - created_at).days < 60
        duplicate_of = self.duplicate_at.get(index) if self.recent_people else None
        is_org = duplicate_of is None and self.chance(0.15)
        city = PICK_CITY(rng)
        owner_index = self.pick_owner(rng)
        organisation = None
        phones: list[tuple[str, str]] = []
        emails: list[str] = []
        customer = SimpleNamespace(
            id=pk,
            code=f"C{pk:06d}",
            created_at=created_at,
            updated_at=self.moment_after(created_at),
            status=_status(rng, fresh),
            organisation_id=None,
            owner_id=None,
        )

        if is_org:
            english, persian, domain = self.org_name(city)
            customer.kind = Customer.Kind.ORGANISATION
            customer.name = persian if self.chance(0.4) else english
            customer.website = f"https://www.{domain}"
            phones.append((self.landline(city), CustomerPhone.Label.WORK))
            if self.chance(0.5):
                phones.append((self.mobile(), CustomerPhone.Label.MOBILE))
            emails.append(self.email(rng.choice(["info", "sales", "office"]), domain))
            self.orgs.append(_Org(pk, city, owner_index, domain))
            self.organisations += 1
        else:
            customer.kind = Customer.Kind.PERSON
            if duplicate_of is not None:
                original = rng.choice(self.recent_people)
                first, last, persian, female = original.first, original.last, original.persian, original.female
                if duplicate_of == "phone":
                    # The same mobile, the name written the other way (script or transliteration).
                    persian = not persian
                    phones.append((original.phone, CustomerPhone.Label.MOBILE))
                    if not persian:
                        first = (VARIANTS.get(first[0], first[0]), first[1])
                        last = (VARIANTS.get(last[0], last[0]), last[1])
                else:
                    phones.append((self.mobile(), CustomerPhone.Label.MOBILE))
                city = original.city
                self.duplicates += 1
            else:
                female = self.chance(0.48)
                western = self.chance(0.04)
                if western:
                    first = (rng.choice(WESTERN_FEMALE if female else WESTERN_MALE),) * 2
                    last = (rng.choice(WESTERN_SURNAMES),) * 2
                    persian = False
                else:
                    first, last = self.person_name(female)
                    persian = self.chance(0.45)
                phones.append((self.mobile(), CustomerPhone.Label.MOBILE))
                if self.chance(0.2):
                    phones.append((self.landline(city), CustomerPhone.Label.HOME))
            script = 1 if persian else 0
            customer.first_name, customer.last_name = first[script], last[script]
            customer.name = f"{customer.first_name} {customer.last_name}"
            if self.orgs and duplicate_of is None and self.chance(0.3):
                organisation = rng.choice(self.orgs)
                customer.organisation_id = organisation.pk
                customer.job_title = rng.choice(JOB_TITLES)
                city, owner_index = organisation.city, organisation.owner
                if self.chance(0.8):
                    emails.append(self.email(f"{first[0][0]}.{last[0]}".lower(), organisation.domain))
            elif self.chance(0.65):
                emails.append(self.email(f"{first[0]}.{last[0]}".lower()))
            if duplicate_of is None:
                self.recent_people.append(_Person(first, last, persian, female, phones[0][0], city))
            self.demographics(customer, female)

        city_en, city_fa, province, _code, _weight, districts = CITIES[city]
        customer.city, customer.province = city_en, province
        if districts and self.chance(0.7):
            customer.region = rng.choice(districts)
        if self.chance(0.8):
            street = rng.choice(STREETS)
            number = rng.randrange(1, 250)
            customer.address = (
                f"{city_fa}، خیابان {street[1]}، پلاک {number}"
                if customer.name[0] >= "\u0600"
                else f"No. {number}, {street[0]} St., {city_en}"
            )
        if self.chance(0.5):
            customer.postal_code = str(rng.randrange(1_000_000_000, 9_999_999_999))
        if owner_index < len(self.owners):
            owner, team_id = self.owners[owner_index]
            customer.owner_id = customer.created_by_id = owner.pk
            customer.team_id = team_id
        if self.chance(0.9):
            source_name, _channel, _weight, costs = SOURCES[PICK_SOURCE(rng)]
            customer.source_id = self.sources[source_name]
            if costs and self.chance(0.8):
                customer.acquisition_cost = Decimal(rng.randrange(*costs) * 1000)
        if phones and self.chance(0.65):
            customer.sms_consent = True
            customer.sms_consent_at = self.moment_after(created_at, 30)
            customer.sms_consent_method = rng.choice(CONSENT_METHODS)
        if emails and self.chance(0.45):
            customer.email_consent = True
            customer.email_consent_at = self.moment_after(created_at, 30)
            customer.email_consent_method = rng.choice(EMAIL_CONSENT_METHODS)

        numbers = [number for number, _label in phones]
        customer.phone = numbers[0] if numbers else ""
        customer.email = emails[0] if emails else ""
        customer.name_key = search_key(customer.name)
        customer.search_text = build_search_text(name=customer.name, code=customer.code, phones=numbers, emails=emails)
        tables.customers.add(**vars(customer))
        for position, (number, label) in enumerate(phones):
            tables.phones.add(customer_id=pk, number=number, label=label, is_primary=position == 0)
        for position, address in enumerate(emails):
            tables.emails.add(customer_id=pk, address=address, is_primary=position == 0)
        self.classify(customer, tables)
        self.timeline(customer, tables, long=index in self.long_timelines)

    def demographics(self, customer: SimpleNamespace, female: bool) -> None:
        rng = self.rng
        if self.chance(0.9):
            customer.gender = Customer.Gender.FEMALE if female else Customer.Gender.MALE
        if self.chance(0.75):
            customer.birth_date = date(rng.randrange(1955, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
        if self.chance(0.6):
            customer.marital_status = PICK_MARITAL(rng)
        if self.chance(0.6):
            customer.occupation = rng.choice(OCCUPATIONS)
        if self.chance(0.55):
            customer.education = PICK_EDUCATION(rng)
        if self.chance(0.5):
            customer.income_band = PICK_INCOME(rng)
        if self.chance(0.5):
            customer.household_size = rng.randrange(1, 7)
        if self.chance(0.3):
            customer.lifestyle = rng.choice(LIFESTYLES)

    def classify(self, customer: SimpleNamespace, tables: _Tables) -> None:
        """Groups by kind and place, tags, and a person's interests."""
        rng, groups = self.rng, self.refs["groups"]
        chosen: list[tuple[str, ...]] = []
        if customer.kind == Customer.Kind.ORGANISATION:
            roll = rng.random()
            if roll < 0.55:
                if customer.province == "tehran":
                    chosen.append(("Wholesale", "Tehran", rng.choice(["Key accounts", "Distributors"])))
                else:
                    area = (
                        "North"
                        if customer.province in NORTH
                        else "South"
                        if customer.province in SOUTH
                        else "Centre, east and west"
                    )
                    chosen.append(("Wholesale", "Provinces", area))
            elif roll < 0.85:
                chosen.append(("Corporate", rng.choice(["Government", "Private sector"])))
            else:
                chosen.append(("Partners", rng.choice(["Resellers", "Installers"])))
        elif customer.organisation_id is None and self.chance(0.6):
            chosen.append(("Retail", rng.choice(["Online", "Stores", "Instagram shop"])))
            if self.chance(0.05):
                chosen.append(("Partners", "Resellers"))
        for path in chosen:
            tables.groups.add(customer_id=customer.id, customergroup_id=groups[path])
        tag_count = PICK_TAG_COUNT(rng)
        tag_names = {PICK_TAG(rng) for _ in range(tag_count)}
        for name in sorted(tag_names):
            tables.tags.add(customer_id=customer.id, tag_id=self.tag_ids[name])
        if customer.kind == Customer.Kind.PERSON:
            interest_names = rng.sample(INTERESTS, PICK_INTEREST_COUNT(rng))
            for name in interest_names:
                tables.interests.add(customer_id=customer.id, interest_id=self.refs["interests"][name])

    def timeline(self, customer: SimpleNamespace, tables: _Tables, *, long: bool) -> None:
        rng = self.rng
        if long:
            count = rng.randrange(60, 150)
        else:
            count = PICK_TIMELINE_LENGTH(rng)
            if customer.kind == Customer.Kind.ORGANISATION:
                count *= 2
        for _ in range(count):
            tables.interactions.add(**vars(self.interaction(customer)))
        self.interactions += count

    def interaction(self, customer: SimpleNamespace) -> SimpleNamespace:
        rng = self.rng
        kind = PICK_INTERACTION(rng)
        occurred = self.moment_after(customer.created_at)
        entry = SimpleNamespace(
            customer_id=customer.id,
            kind=kind,
            occurred_at=occurred,
            created_at=occurred,
            user_id=customer.owner_id if self.chance(0.9) else None,
        )
        if kind == "call":
            entry.direction = "out" if self.chance(0.7) else "in"
            entry.subject = f"Call about {rng.choice(CALL_TOPICS)}"
            entry.outcome = PICK_OUTCOME(rng)
            if entry.outcome == Interaction.Outcome.ANSWERED:
                entry.duration_seconds = rng.randrange(30, 900)
                if self.chance(0.5):
                    entry.body = rng.choice(NOTES)
        elif kind == "note":
            entry.body = rng.choice(NOTES)
        elif kind == "sms":
            entry.direction = "out" if self.chance(0.85) else "in"
            entry.subject = "SMS"
            entry.body = rng.choice(SMS_TEXTS)
        elif kind == "email":
            entry.direction = "out" if self.chance(0.8) else "in"
            entry.subject = rng.choice(EMAILS)
        elif kind == "meeting":
            entry.subject = rng.choice(MEETINGS)
            entry.duration_seconds = rng.randrange(30, 120) * 60
            entry.body = rng.choice(NOTES) if self.chance(0.5) else ""
        else:
            entry.subject = rng.choice(VISITS)
        return entry

    def write(self) -> None:
        """Generate and insert a chunk of customers at a time: memory stays flat."""
        tables = _Tables()
        for index in range(self.total):
            self.customer(index, tables)
            if (index + 1) % CHUNK == 0:
                tables.flush()
        tables.flush()


def _status(rng: random.Random, fresh: bool) -> str:
    if fresh:
        return PICK_STATUS_NEW(rng)
    return PICK_STATUS(rng)


def _ascii(text: str) -> str:
    """ "Müller" -> "muller": e-mail and web addresses in plain ASCII."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum() or char == ".")


# --- writing -------------------------------------------------------------------------------------


def _reference_lists() -> dict:
    """Sources, tags, interests and the group tree, made if missing (names are unique)."""
    Source.objects.bulk_create(
        [Source(name=name, channel=channel) for name, channel, _w, _c in SOURCES], ignore_conflicts=True
    )
    Tag.objects.bulk_create([Tag(name=name, color=color) for name, color, _w in TAGS], ignore_conflicts=True)
    Interest.objects.bulk_create([Interest(name=name) for name in INTERESTS], ignore_conflicts=True)
    return {
        "sources": dict(Source.objects.filter(name__in=[s[0] for s in SOURCES]).values_list("name", "pk")),
        "tags": dict(Tag.objects.filter(name__in=[t[0] for t in TAGS]).values_list("name", "pk")),
        "interests": dict(Interest.objects.filter(name__in=INTERESTS).values_list("name", "pk")),
        "groups": _group_tree(),
    }


def _group_tree() -> dict[tuple[str, ...], int]:
    """The groups of GROUP_TREE, level by level, with materialised paths ("3/17/42/") set the
    way ``customers.services.group_save`` sets them. Returns {("Wholesale", "Tehran"): id, ...}."""
    ids: dict[tuple[str, ...], int] = {}
    paths: dict[int, str] = {}
    level: list[tuple[tuple[str, ...], dict]] = [((name,), children) for name, children in GROUP_TREE.items()]
    depth = 0
    while level:
        parent_ids = {key[:-1]: ids[key[:-1]] for key, _children in level if len(key) > 1}
        CustomerGroup.objects.bulk_create(
            [
                CustomerGroup(name=key[-1], parent_id=parent_ids.get(key[:-1]), path="", depth=depth)
                for key, _c in level
            ],
            ignore_conflicts=True,
        )
        existing = CustomerGroup.objects.filter(name__in={key[-1] for key, _c in level})
        existing = (
            existing.filter(parent_id__in=set(parent_ids.values())) if depth else existing.filter(parent__isnull=True)
        )
        by_parent_and_name = {(group.parent_id, group.name): group for group in existing}
        fresh = []
        for key, _children in level:
            group = by_parent_and_name[(parent_ids.get(key[:-1]), key[-1])]
            ids[key] = group.pk
            if not group.path:
                group.path = f"{paths.get(group.parent_id, '')}{group.pk}/"
                group.depth = depth
                fresh.append(group)
            paths[group.pk] = group.path
        CustomerGroup.objects.bulk_update(fresh, ["path", "depth"])
        level = [((*key, name), children) for key, grand in level for name, children in grand.items()]
        depth += 1
    return ids


def seed(ctx: DemoContext) -> None:
    if ctx.customers <= 0:
        ctx.summary.append("Customers: none (--customers 0)")
        return
    rng = ctx.rng_for("customers")
    refs = _reference_lists()
    start_id = (Customer.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    generator = _Generator(ctx, rng, refs, start_id)
    generator.write()
    # The ids were given, not drawn from the sequence: move PostgreSQL's past them (SQLite's
    # AUTOINCREMENT follows on its own).
    sequences_reset(Customer)
    ctx.summary.append(
        f"Customers: {ctx.customers:,} ({generator.organisations:,} organisations, "
        f"{generator.duplicates:,} duplicates on purpose), {generator.interactions:,} timeline entries"
    )
