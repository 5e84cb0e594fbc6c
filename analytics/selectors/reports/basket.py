"""The basket report: pairs of products bought in the same order, with support, confidence and
lift (``ProductPair``, refreshed by the nightly computation). Catalogue figures over every
order: the same for every user of the analytics pages."""

from django.db.models import QuerySet

from analytics.models import ProductPair


def pair_rows() -> QuerySet[ProductPair]:
    """Every pair with both products' names joined in, the strongest lift first."""
    return ProductPair.objects.select_related("product", "other").order_by("-lift", "-confidence", "pk")


def pair_sort(rows: QuerySet[ProductPair], key: str) -> QuerySet[ProductPair]:
    """Rank by one of the measures, strongest first, ties by the others."""
    orders = {
        "lift": ("-lift", "-confidence", "pk"),
        "confidence": ("-confidence", "-lift", "pk"),
        "support": ("-support", "-lift", "pk"),
        "orders": ("-orders", "-lift", "pk"),
    }
    return rows.order_by(*orders.get(key, orders["lift"]))
