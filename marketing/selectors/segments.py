"""Reads for segments: who is in a segment, the segment list as a tree, the detail page, the
form builder's catalogue and its live preview."""

from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from crm_site.access import scope_queryset
from crm_site.models import Team, User
from crm_site.pagination import CappedPaginator
from crm_site.xlsx import XlsxWriter
from customers.filters import search_condition
from customers.geography import Province
from customers.models import Customer, CustomerGroup, Interest, Source, Tag
from marketing.models import Campaign, Segment, SegmentMember, SegmentSnapshot
from marketing.rules import FIELDS, OPERATORS, SECTIONS, describe_rules, rules_q
from marketing.rules.catalogue import ID, op_label
from sales.models import Product, ProductCategory

PREVIEW_SAMPLE = 10
MEMBERS_PAGE_SIZE = 25
ROOTS_PAGE_SIZE = 20
SEARCH_LIMIT = 20
SNAPSHOTS_SHOWN = 60
EXPORT_BATCH = 2000
EXPORT_MAX_ROWS = 100_000
MAX_CHAIN = 20  # ancestors followed before a (corrupt) parent chain is declared a cycle


# --- who is in a segment -------------------------------------------------------------------------


def segment_chain(segment: Segment) -> list[Segment]:
    """The segment and its ancestors, the segment first (one query per ancestor)."""
    chain, seen = [segment], {segment.pk}
    node = segment
    while node.parent_id is not None:
        if node.parent_id in seen or len(chain) >= MAX_CHAIN:
            raise ValueError(f"Segment {segment.pk} has a cycle in its parent chain.")
        node = Segment.objects.get(pk=node.parent_id)
        chain.append(node)
        seen.add(node.pk)
    return chain


def _own_condition(segment: Segment, *, now: datetime | None) -> Q:
    if segment.kind == Segment.Kind.STATIC:
        return Q(Exists(SegmentMember.objects.filter(segment_id=segment.pk, customer_id=OuterRef("pk"))))
    return rules_q(segment.rules or {}, now=now)


def chain_condition(chain: list[Segment], *, now: datetime | None = None) -> Q:
    condition = Q()
    for node in chain:
        condition &= _own_condition(node, now=now)
    return condition


def segment_customers(segment: Segment, *, now: datetime | None = None) -> QuerySet[Customer]:
    """Every customer in ``segment`` (unscoped: the whole base): those matching its rule (or on
    its list) and every ancestor's. One query when evaluated."""
    return Customer.objects.filter(chain_condition(segment_chain(segment), now=now))


def preview_customers(
    *, rules: dict, kind: str, parent: Segment | None, segment: Segment | None = None, now: datetime | None = None
) -> QuerySet[Customer]:
    """The customers an unsaved segment would hold: ``rules`` (or, for a static list being
    edited, its current members) within ``parent``'s customers."""
    condition = chain_condition(segment_chain(parent), now=now) if parent else Q()
    if kind == Segment.Kind.STATIC:
        if segment is None or segment.pk is None:
            return Customer.objects.none()
        condition &= Q(Exists(SegmentMember.objects.filter(segment_id=segment.pk, customer_id=OuterRef("pk"))))
    else:
        condition &= rules_q(rules, now=now)
    return Customer.objects.filter(condition)


def segment_preview(
    *, user: User, rules: dict, kind: str, parent: Segment | None, segment: Segment | None = None
) -> dict:
    """The builder's live figures: how many customers match in the whole base, and the first few
    the user may see."""
    customers = preview_customers(rules=rules, kind=kind, parent=parent, segment=segment)
    sample = scope_queryset(customers, user, "customers").order_by("name", "id")[:PREVIEW_SAMPLE]
    return {"count": customers.count(), "sample": list(sample)}


# --- lists and pages -----------------------------------------------------------------------------


def segments_annotated() -> QuerySet[Segment]:
    return Segment.objects.annotate(
        campaign_count=Count("campaigns", distinct=True),
        child_count=Count("children", distinct=True),
    )


@dataclass
class TreeRow:
    segment: Segment
    depth: int


def segment_list_rows(*, filtered: QuerySet[Segment] | None = None, page: str | None = None):
    """A page of the segment list and its rows. Filtered: the matching segments, flat and
    paginated. Otherwise the root segments, paginated, each followed by its descendants
    indented; all segments are read for that (a company has hundreds, not millions). Two
    queries either way."""
    if filtered is not None:
        page_obj = Paginator(filtered.order_by("name", "id"), ROOTS_PAGE_SIZE * 2).get_page(page)
        return page_obj, [TreeRow(segment, 0) for segment in page_obj.object_list]
    children: dict[int | None, list[Segment]] = {}
    for segment in segments_annotated().order_by("name", "id"):
        children.setdefault(segment.parent_id, []).append(segment)
    page_obj = Paginator(children.get(None, []), ROOTS_PAGE_SIZE).get_page(page)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def add(segment: Segment, depth: int) -> None:
        if segment.pk in seen:  # a corrupt parent chain: show each segment once
            return
        seen.add(segment.pk)
        rows.append(TreeRow(segment, depth))
        for child in children.get(segment.pk, []):
            add(child, depth + 1)

    for root in page_obj.object_list:
        add(root, 0)
    return page_obj, rows


def segment_get(*, pk) -> Segment:
    try:
        return Segment.objects.select_related("parent", "owner").get(pk=int(pk))
    except (TypeError, ValueError, Segment.DoesNotExist):
        raise Http404 from None


def segment_page(*, user: User, segment: Segment, page: str | None = None) -> dict:
    """Everything the segment page reads, in a fixed number of queries."""
    chain = segment_chain(segment)
    customers = Customer.objects.filter(chain_condition(chain))
    visible = scope_queryset(customers, user, "customers").select_related("owner").order_by("name", "id")
    members = CappedPaginator(visible, MEMBERS_PAGE_SIZE).get_page(page)
    snapshots = list(SegmentSnapshot.objects.filter(segment=segment).order_by("-taken_at")[:SNAPSHOTS_SHOWN])
    snapshots.reverse()
    return {
        "segment": segment,
        "ancestors": list(reversed(chain[1:])),
        "rule_words": describe_rules(segment.rules) if segment.kind == Segment.Kind.RULE else "",
        "children": list(segments_annotated().filter(parent=segment).order_by("name")),
        "campaigns": list(
            Campaign.objects.filter(Q(segments=segment) | Q(excluded_segments=segment))
            .distinct()
            .select_related("owner")
            .order_by("-created_at")[:20]
        ),
        "members": members,
        "snapshots": snapshots,
        "chart": {
            "labels": [s.taken_at.date().isoformat() for s in snapshots],
            "sizes": [s.size for s in snapshots],
        },
    }


def segment_usage(segment: Segment) -> dict:
    """What refers to a segment (checked before deleting it)."""
    return {
        "children": segment.children.count(),
        "campaigns": Campaign.objects.filter(Q(segments=segment) | Q(excluded_segments=segment)).distinct().count(),
    }


def segment_parent_choices(*, exclude: Segment | None = None) -> QuerySet[Segment]:
    """Segments a segment may refine: any but itself and its descendants."""
    segments = Segment.objects.order_by("name")
    if exclude is None or exclude.pk is None:
        return segments
    parents = dict(Segment.objects.values_list("pk", "parent_id"))
    banned = {exclude.pk}
    changed = True
    while changed:  # descendants of the edited segment, over the (small) id table in memory
        changed = False
        for pk, parent_id in parents.items():
            if parent_id in banned and pk not in banned:
                banned.add(pk)
                changed = True
    return segments.exclude(pk__in=banned)


def customer_search(*, user: User, query: str) -> list[Customer]:
    """Customers the user may see matching ``query`` (name, code, phone, email)."""
    if not query.strip():
        return []
    visible = scope_queryset(Customer.objects.all(), user, "customers")
    return list(visible.filter(search_condition(query)).order_by("name", "id")[:SEARCH_LIMIT])


def product_search(*, query: str) -> list[dict]:
    """Products for the builder's product picker."""
    words = query.split()
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word) | Q(sku__icontains=word)
    rows = Product.objects.filter(condition).order_by("name")[:SEARCH_LIMIT]
    return [{"id": p.pk, "label": f"{p.name} ({p.sku})"} for p in rows]


def segment_export_write(*, user: User, segment: Segment, target: IO[bytes]) -> int:
    """Write the members the user may see to ``target`` as .xlsx, reading them in batches;
    returns the row count."""
    visible = scope_queryset(segment_customers(segment), user, "customers")
    rows = visible.order_by("pk").values_list(
        "code", "name", "phone", "email", "province", "city", "status", "sms_consent", "email_consent"
    )
    provinces, statuses = dict(Province.choices), dict(Customer.Status.choices)
    headers = [
        _("Code"),
        _("Name"),
        _("Phone"),
        _("Email"),
        _("Province"),
        _("City"),
        _("Status"),
        _("SMS consent"),
        _("Email consent"),
    ]
    count = 0
    with XlsxWriter(target, sheet_name=segment.name, headers=[str(h) for h in headers]) as writer:
        for code, name, phone, email, province, city, status, sms, mail in rows.iterator(EXPORT_BATCH):
            writer.write_row(
                [
                    code,
                    name,
                    phone,
                    email,
                    str(provinces.get(province, "")),
                    city,
                    str(statuses.get(status, status)),
                    sms,
                    mail,
                ]
            )
            count += 1
    return count


# --- the form builder's catalogue ----------------------------------------------------------------


def _referenced_ids(tree: dict, model: str) -> set[int]:
    ids: set[int] = set()

    def walk(node):
        for child in node.get("conditions", []) if isinstance(node, dict) else []:
            if isinstance(child, dict) and "conditions" in child:
                walk(child)
            elif isinstance(child, dict):
                field_def = next((f for f in FIELDS if f.name == child.get("field")), None)
                if field_def and field_def.model == model and isinstance(child.get("value"), list):
                    ids.update(v for v in child["value"] if isinstance(v, int))

    walk(tree)
    return ids


def builder_catalogue(*, rules: dict | None = None) -> dict:
    """The JSON the form builder embeds: sections, operators and each field with its choices.
    Products are searched as the user types; the names of those the rule already names are
    included. One query per list of choices."""
    relation_choices = {
        "customers.CustomerGroup": [
            (g.pk, g.indented_name) for g in CustomerGroup.objects.only("name", "depth", "path").order_by("path")
        ],
        "customers.Tag": list(Tag.objects.values_list("pk", "name")),
        "customers.Interest": list(Interest.objects.values_list("pk", "name")),
        "customers.Source": list(Source.objects.values_list("pk", "name")),
        "crm_site.Team": list(Team.objects.values_list("pk", "name")),
        "crm_site.User": [
            (u.pk, str(u))
            for u in User.objects.filter(is_active=True)
            .only("username", "first_name", "last_name")
            .order_by("first_name", "last_name", "username")
        ],
        "sales.ProductCategory": [
            (c.pk, c.indented_name) for c in ProductCategory.objects.only("name", "depth", "path").order_by("path")
        ],
    }
    known_products = _referenced_ids(rules or {}, "sales.Product")
    relation_choices["sales.Product"] = [
        (p.pk, f"{p.name} ({p.sku})") for p in Product.objects.filter(pk__in=known_products)
    ]
    fields = []
    for field_def in FIELDS:
        choices = relation_choices[field_def.model] if field_def.value_type == ID else list(field_def.choices)
        fields.append(
            {
                "name": field_def.name,
                "label": str(field_def.label),
                "section": field_def.section,
                "type": field_def.value_type,
                "ops": [
                    {"op": op, "label": op_label(field_def, op), "value": OPERATORS[op].value} for op in field_def.ops
                ],
                "choices": [[key, str(label)] for key, label in choices],
                "search": field_def.model == "sales.Product",
                "window": field_def.window,
                "min": None if field_def.minimum is None else str(field_def.minimum),
                "max": None if field_def.maximum is None else str(field_def.maximum),
                "help": str(field_def.help),
            }
        )
    return {
        "sections": [{"key": key, "label": str(label)} for key, label in SECTIONS.items()],
        "fields": fields,
        "text": {
            "addCondition": _("Add a condition"),
            "addGroup": _("Add a group"),
            "remove": _("Remove"),
            "all": _("all of these"),
            "any": _("any of these"),
            "none": _("none of these"),
            "match": _("Customers who match"),
            "chooseField": _("Choose what to test…"),
            "days": _("in the last … days (empty: all time)"),
            "inLast": _("in the last"),
            "daysUnit": _("days"),
            "allTime": _("all time"),
            "searchProducts": _("Type to search products…"),
            "noConditions": _("No conditions: every customer matches."),
        },
    }
