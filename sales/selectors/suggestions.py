"""Product suggestions for a quote or order: what to offer a customer who has picked some products.

Four signals, each read with one indexed query that returns at most ``CANDIDATE_POOL`` rows:

* bought together: ProductAffinity, the orders that held a picked product and the candidate
  (summed over the picked products: a product often bought with several of them ranks higher);
* popular in the customer's groups: GroupProductPopularity, customers of the group who bought it;
* similar: same category, brand, colour or size as a picked product;
* the customer's own history: how many of their orders held it (repeat purchases).

Each signal is scaled to 0..1 against the strongest candidate of that signal, and the score is

    score = 100 × (0.45 × together + 0.25 × group + 0.20 × similarity + 0.10 × history)

where similarity is the best match with any picked product, in points out of 7: same category 3,
same brand 2, same colour 1, same size 1 (empty attributes never match). Ties go to the product
bought together more often, then to the more popular one. The picked products, the excluded
ones and inactive products are never suggested.

The query count is constant (at most seven) whatever the size of the catalogue or history.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_site.access import Action
from crm_site.models import User
from customers.models import Customer
from customers.selectors import customers_for
from sales.models import GroupProductPopularity, Order, OrderLine, Product, ProductAffinity

WEIGHTS = {"together": 0.45, "group": 0.25, "similar": 0.20, "history": 0.10}
SIMILARITY_POINTS = {"category_id": 3, "brand": 2, "colour": 1, "size": 1}
SIMILARITY_MAX = sum(SIMILARITY_POINTS.values())
# Candidates read from each signal; the final ranking picks ``limit`` among them.
CANDIDATE_POOL = 60
# Similarity is compared with at most this many picked products (a long order stays one query).
MAX_SEEDS = 20


@dataclass(frozen=True)
class Suggestion:
    product: Product
    score: float  # 0..100, see the module's docstring
    reasons: list[str] = field(default_factory=list)  # translated, strongest signal first


def suggestion_customer_get(*, user: User, pk: int) -> Customer:
    """The customer suggestions are asked for, if the user may see them (else 404)."""
    return get_object_or_404(customers_for(user=user, action=Action.VIEW), pk=pk)


def _attribute_label(name: str) -> str:
    return {"category_id": _("category"), "brand": _("brand"), "colour": _("colour"), "size": _("size")}[name]


def _matches(candidate: Product, seed: dict) -> list[str]:
    return [
        name for name in SIMILARITY_POINTS if seed[name] not in (None, "") and getattr(candidate, name) == seed[name]
    ]


def _similarity_expression(seeds: list[dict]):
    per_seed = []
    for seed in seeds:
        terms = [
            Case(When(**{name: seed[name]}, then=Value(points)), default=Value(0), output_field=IntegerField())
            for name, points in SIMILARITY_POINTS.items()
            if seed[name] not in (None, "")
        ]
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            per_seed.append(total)
    if not per_seed:
        return None
    return per_seed[0] if len(per_seed) == 1 else Greatest(*per_seed)


def _similar_pool(seeds: list[dict], excluded: set[int]) -> list[int]:
    """The most similar active products (same category or brand as a picked product)."""
    categories = {seed["category_id"] for seed in seeds if seed["category_id"]}
    brands = {seed["brand"] for seed in seeds if seed["brand"]}
    expression = _similarity_expression(seeds)
    if expression is None or not (categories or brands):
        return []
    return list(
        Product.objects.filter(Q(category_id__in=categories) | Q(brand__in=brands), is_active=True)
        .exclude(pk__in=excluded)
        .annotate(points=expression)
        .order_by("-points", "name", "pk")
        .values_list("pk", flat=True)[:CANDIDATE_POOL]
    )


def suggestions_for(
    *,
    customer: Customer,
    product_ids: list[int],
    exclude_product_ids: Iterable[int] = (),
    limit: int = 8,
) -> list[Suggestion]:
    """The products to suggest to ``customer`` who has picked ``product_ids``, best first."""
    picked = {int(pk) for pk in product_ids}
    excluded = picked | {int(pk) for pk in exclude_product_ids}
    seeds = list(Product.objects.filter(pk__in=picked).values("pk", *SIMILARITY_POINTS)[:MAX_SEEDS]) if picked else []
    groups = dict(
        Customer.groups.through.objects.filter(customer_id=customer.pk).values_list(
            "customergroup_id", "customergroup__name"
        )
    )

    together: dict[int, int] = {}
    if picked:
        together = dict(
            ProductAffinity.objects.filter(product_id__in=picked, other__is_active=True)
            .exclude(other_id__in=excluded)
            .values("other_id")
            .annotate(total=Sum("orders"))
            .order_by("-total", "other_id")
            .values_list("other_id", "total")[:CANDIDATE_POOL]
        )
    popular: dict[int, tuple[int, int]] = {}  # product -> (customers, group), the best group
    if groups:
        rows = (
            GroupProductPopularity.objects.filter(group_id__in=groups, product__is_active=True)
            .exclude(product_id__in=excluded)
            .order_by("-customers", "product_id")
            .values_list("product_id", "customers", "group_id")[:CANDIDATE_POOL]
        )
        for product_id, customers, group_id in rows:
            popular.setdefault(product_id, (customers, group_id))
    history = dict(
        OrderLine.objects.filter(order__customer_id=customer.pk, product__is_active=True)
        .exclude(order__status=Order.Status.CANCELLED)
        .exclude(product_id__in=excluded)
        .values("product_id")
        .annotate(orders=Count("order_id", distinct=True))
        .order_by("-orders", "product_id")
        .values_list("product_id", "orders")[:CANDIDATE_POOL]
    )
    similar_ids = _similar_pool(seeds, excluded) if seeds else []

    candidate_ids = set(together) | set(popular) | set(history) | set(similar_ids)
    if not candidate_ids:
        return []
    products = Product.objects.filter(pk__in=candidate_ids, is_active=True).select_related("category")
    top = {
        "together": max(together.values(), default=0),
        "group": max((customers for customers, _group in popular.values()), default=0),
        "history": max(history.values(), default=0),
    }
    ranked = []
    for product in products:
        matches = max((_matches(product, seed) for seed in seeds), key=_points, default=[])
        signals = {
            "together": together.get(product.pk, 0) / top["together"] if top["together"] else 0.0,
            "group": popular.get(product.pk, (0, 0))[0] / top["group"] if top["group"] else 0.0,
            "similar": _points(matches) / SIMILARITY_MAX,
            "history": history.get(product.pk, 0) / top["history"] if top["history"] else 0.0,
        }
        score = round(100 * sum(WEIGHTS[name] * value for name, value in signals.items()), 1)
        reasons = _reasons(product, together, popular, history, groups, matches)
        sort_key = (-score, -together.get(product.pk, 0), -popular.get(product.pk, (0, 0))[0], product.name, product.pk)
        ranked.append((sort_key, Suggestion(product=product, score=score, reasons=reasons)))
    ranked.sort(key=lambda item: item[0])
    return [suggestion for _key, suggestion in ranked[:limit]]


def _points(matches: list[str]) -> int:
    return sum(SIMILARITY_POINTS[name] for name in matches)


def _reasons(product, together, popular, history, groups, matches) -> list[str]:
    reasons = []
    if together.get(product.pk):
        count = together[product.pk]
        reasons.append(
            ngettext("Bought together %(count)d time", "Bought together %(count)d times", count) % {"count": count}
        )
    if matches:
        attributes = get_text_list([_attribute_label(name) for name in matches], _("and"))
        reasons.append(_("Same %(attributes)s") % {"attributes": attributes})
    if product.pk in popular:
        count, group_id = popular[product.pk]
        reasons.append(
            ngettext(
                "Popular in the group %(group)s: %(count)d customer",
                "Popular in the group %(group)s: %(count)d customers",
                count,
            )
            % {"group": groups.get(group_id, ""), "count": count}
        )
    if history.get(product.pk):
        count = history[product.pk]
        reasons.append(
            ngettext(
                "This customer bought it in %(count)d earlier order",
                "This customer bought it in %(count)d earlier orders",
                count,
            )
            % {"count": count}
        )
    return reasons
