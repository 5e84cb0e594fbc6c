"""Likely duplicates: the same normalised phone or email, or a very similar name in the same city.

Used before saving a customer (create, edit, import) and by the duplicates report.
"""

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import combinations

from django.db.models import Count, Q
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext as _

from crm_site.models import User
from crm_site.text import search_key
from customers.models import Customer, CustomerEmail, CustomerPhone
from customers.selectors import customers_for

NAME_SIMILARITY = 0.85  # SequenceMatcher ratio above which two names in one city look alike
NAME_CANDIDATES = 200  # bound on the names compared per check


@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str] = field(default_factory=list)


def name_similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, search_key(a), search_key(b)).ratio()


def find_duplicates(
    *, name: str = "", city: str = "", phones=(), emails=(), exclude_id: int | None = None, limit: int = 5
) -> list[DuplicateCandidate]:
    """Existing customers that look like the one described (phones in E.164, emails lower-cased).

    Every customer is considered, whatever the asking user may see: a rep must learn that the
    customer already exists (the view shows only what they may open).
    """
    found: dict[int, DuplicateCandidate] = {}

    def add(customer_id: int, reason: str) -> None:
        found.setdefault(customer_id, DuplicateCandidate(customer=None)).reasons.append(reason)

    phones = [p for p in phones if p]
    emails = [e for e in emails if e]
    if phones:
        for customer_id, number in CustomerPhone.objects.filter(number__in=phones).values_list("customer_id", "number"):
            add(customer_id, _("same phone %(number)s") % {"number": number})
    if emails:
        matches = CustomerEmail.objects.filter(address__in=emails).values_list("customer_id", "address")
        for customer_id, address in matches:
            add(customer_id, _("same email %(address)s") % {"address": address})
    key = search_key(name)
    if key and city:
        # Compare only names in the same city that start alike: a bounded, indexed candidate set.
        candidates = Customer.objects.filter(
            Q(city__iexact=city.strip()) & Q(name_key__startswith=key[:2])
        ).values_list("id", "name_key")[:NAME_CANDIDATES]
        matcher = SequenceMatcher(None, b=key)  # b is analysed once, compared with every candidate
        for customer_id, other_key in candidates:
            matcher.set_seq1(other_key)
            # The cheap upper bounds rule most candidates out before the exact ratio.
            if (
                matcher.real_quick_ratio() >= NAME_SIMILARITY
                and matcher.quick_ratio() >= NAME_SIMILARITY
                and matcher.ratio() >= NAME_SIMILARITY
            ):
                add(customer_id, _("similar name in the same city"))
    found.pop(exclude_id, None)
    if not found:
        return []
    customers = Customer.objects.select_related("owner").in_bulk(list(found)[: limit * 2])
    result = []
    for customer_id, candidate in found.items():
        if customer_id in customers:
            candidate.customer = customers[customer_id]
            result.append(candidate)
    return result[:limit]


# --- the duplicates report -------------------------------------------------------------------

# A number, address or name shared by more customers than this is a switchboard, a shared
# mailbox or a common name, not a duplicate: such groups are left out of the report.
MAX_GROUP_SIZE = 10


@dataclass
class DuplicatePair:
    """Two customers that look like one: ``first_id`` < ``second_id``."""

    first_id: int
    second_id: int
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    first: Customer | None = None
    second: Customer | None = None
    can_merge: bool = False

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, _text in self.reasons}


def _groups(rows, pairs: dict[tuple[int, int], DuplicatePair], kind: str, describe) -> None:
    """Turn (group key, customer id) rows into pairs, each carrying the reason they share."""
    members: dict[object, list[int]] = {}
    for key, customer_id in rows:
        ids = members.setdefault(key, [])
        if customer_id not in ids:
            ids.append(customer_id)
    for key, ids in members.items():
        if not 1 < len(ids) <= MAX_GROUP_SIZE:
            continue
        for first, second in combinations(sorted(ids), 2):
            pair = pairs.setdefault((first, second), DuplicatePair(first, second))
            pair.reasons.append((kind, describe(key)))


def duplicate_pairs_for(*, user: User, kind: str = "") -> list[DuplicatePair]:
    """Likely duplicate pairs among the customers ``user`` may see, strongest first.

    One aggregate query per reason finds the shared phones, emails and (name, city) keys among the
    visible customers; only the customers in those groups are read, as ids. Pairs with a customer
    the user may not see never appear, since both sides come from the visible set.
    """
    visible = customers_for(user=user).values("pk")
    pairs: dict[tuple[int, int], DuplicatePair] = {}

    if kind in ("", "phone"):
        phones = CustomerPhone.objects.filter(customer__in=visible)
        shared = phones.values("number").annotate(n=Count("id")).filter(n__gt=1, n__lte=MAX_GROUP_SIZE)
        rows = phones.filter(number__in=shared.values("number")).values_list("number", "customer_id")
        _groups(rows, pairs, "phone", lambda number: _("Same phone %(number)s") % {"number": number})

    if kind in ("", "email"):
        emails = CustomerEmail.objects.filter(customer__in=visible).annotate(key=Lower("address"))
        shared = emails.values("key").annotate(n=Count("customer_id", distinct=True))
        shared = shared.filter(n__gt=1, n__lte=MAX_GROUP_SIZE)
        rows = emails.filter(key__in=shared.values("key")).values_list("key", "customer_id")
        _groups(rows, pairs, "email", lambda address: _("Same email %(address)s") % {"address": address})

    if kind in ("", "name"):
        # Upper(city), name_key: the expression the duplicate-check index is built on.
        named = customers_for(user=user).exclude(name_key="").exclude(city="").annotate(city_key=Upper("city"))
        shared = named.values("name_key", "city_key").annotate(n=Count("id")).filter(n__gt=1, n__lte=MAX_GROUP_SIZE)
        # Rows with a shared name in any city; the (name, city) grouping below keeps the real pairs.
        # Oldest first, so a city is shown as the first customer spelled it.
        rows = (
            named.filter(name_key__in=shared.values("name_key"))
            .values_list("name_key", "city_key", "id", "city")
            .order_by("id")
        )
        cities = {}
        keyed = []
        for name_key, city_key, customer_id, city in rows:
            cities.setdefault(city_key, city)
            keyed.append(((name_key, city_key), customer_id))
        _groups(keyed, pairs, "name", lambda key: _("Same name in %(city)s") % {"city": cities[key[1]]})

    return sorted(pairs.values(), key=lambda pair: (-len(pair.reasons), -pair.second_id, -pair.first_id))
