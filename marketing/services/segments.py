"""Writes for segments: create, change and delete segments, static list members (by hand and by
Excel import), counting, membership over time and snapshots."""

import contextlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from crm_site.access import scope_queryset
from crm_site.messaging.phone import InvalidPhoneNumber, normalize_phone
from crm_site.models import User
from customers.imports.workbook import cell_text, is_blank
from customers.models import Customer, CustomerPhone
from marketing.models import Campaign, CampaignRun, Segment, SegmentMember, SegmentMembership, SegmentSnapshot
from marketing.rules import validate_rules
from marketing.selectors.segments import MAX_CHAIN, segment_customers, segment_usage

BATCH = 2000
IMPORT_MAX_ROWS = 20_000
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_ERRORS_SHOWN = 20
MAX_LEVELS = 6  # a segment and up to five ancestors


def _check_parent(segment: Segment) -> None:
    """Refuse a parent that is the segment itself or one of its descendants, or too deep a chain."""
    if segment.parent_id is None:
        return
    node_id, levels = segment.parent_id, 1
    parents = dict(Segment.objects.values_list("pk", "parent_id"))
    while node_id is not None:
        if segment.pk is not None and node_id == segment.pk:
            raise ValidationError({"parent": _("A segment cannot refine itself or one of its own sub-segments.")})
        levels += 1
        if levels > MAX_LEVELS or levels > MAX_CHAIN:
            raise ValidationError(
                {"parent": _("Segments can be nested at most %(max)s levels deep.") % {"max": MAX_LEVELS}}
            )
        node_id = parents.get(node_id)


def _clean_and_save(segment: Segment) -> Segment:
    if segment.kind == Segment.Kind.RULE:
        try:
            segment.rules = validate_rules(segment.rules)
        except ValidationError as error:
            raise ValidationError({"rules": error.messages}) from None
    else:
        segment.rules = {}
    segment.name = " ".join((segment.name or "").split())
    _check_parent(segment)
    duplicate = Segment.objects.filter(parent_id=segment.parent_id, name__iexact=segment.name).exclude(pk=segment.pk)
    if segment.name and duplicate.exists():
        raise ValidationError({"name": _("Another segment at this level already has this name.")})
    segment.full_clean()
    segment.save()
    return segment


@transaction.atomic
def segment_create(
    *,
    name: str,
    kind: str = Segment.Kind.RULE,
    rules: dict | None = None,
    parent: Segment | None = None,
    description: str = "",
    owner: User | None = None,
    is_active: bool = True,
) -> Segment:
    segment = Segment(
        name=name,
        kind=kind,
        rules=rules or {},
        parent=parent,
        description=description,
        owner=owner,
        is_active=is_active,
    )
    return _clean_and_save(segment)


# Campaigns whose audience a manager approved and that have not finished: their segments' rules and
# members must not change under them, or a marketer could widen an approved audience.
APPROVED_OR_WAITING = (
    Campaign.Status.PENDING_APPROVAL,
    Campaign.Status.SCHEDULED,
    Campaign.Status.SENDING,
    Campaign.Status.PAUSED,
)


def _refuse_if_in_approved_campaigns(segment: Segment) -> None:
    """Refuse to change who is in ``segment`` while a campaign waiting for approval or approved
    and unfinished targets or excludes it or one of its sub-segments (which refine it)."""
    family, frontier = {segment.pk}, {segment.pk}
    while frontier:
        frontier = set(Segment.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - family
        family |= frontier
    names = sorted(
        Campaign.objects.filter(status__in=APPROVED_OR_WAITING)
        .filter(Q(segments__in=family) | Q(excluded_segments__in=family))
        .values_list("name", flat=True)
        .distinct()
    )
    if names:
        raise ValidationError(
            _(
                "Campaigns waiting for approval or approved use this segment (%(names)s): its customers cannot "
                "change until they are sent, cancelled or back in draft."
            )
            % {"names": ", ".join(names)}
        )


@transaction.atomic
def segment_update(*, segment: Segment, **changes) -> Segment:
    """Change a segment's name, description, rules, parent or active flag. A static list keeps
    its kind (its members would lose their meaning); a rule segment may not become a list."""
    allowed = {"name", "description", "rules", "parent", "is_active", "owner"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"segment_update cannot change {sorted(unknown)}")
    locked = Segment.objects.select_for_update().get(pk=segment.pk)
    parent_id = changes["parent"].pk if changes.get("parent") is not None else None
    if ("rules" in changes and changes["rules"] != locked.rules) or (
        "parent" in changes and parent_id != locked.parent_id
    ):
        _refuse_if_in_approved_campaigns(locked)
    for key, value in changes.items():
        setattr(locked, key, value)
    _clean_and_save(locked)
    segment.refresh_from_db()
    return locked


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    usage = segment_usage(segment)
    if usage["children"]:
        raise ValidationError(
            _("“%(name)s” has %(count)s sub-segment(s); delete or move them first.")
            % {"name": segment.name, "count": usage["children"]}
        )
    if usage["campaigns"]:
        raise ValidationError(
            _("“%(name)s” is used by %(count)s campaign(s); take it off them first.")
            % {"name": segment.name, "count": usage["campaigns"]}
        )
    segment.delete()


# --- static lists --------------------------------------------------------------------------------


def _require_static(segment: Segment) -> None:
    if segment.kind != Segment.Kind.STATIC:
        raise ValidationError(_("Only a static list has members added or removed by hand."))


@transaction.atomic
def segment_members_add(*, segment: Segment, customer_ids, by: User | None = None) -> int:
    """Put customers on a static list; those already on it stay as they are. Returns how many
    were added. A person (``by``) may not change a list an approved campaign uses; automation's
    "add to a list" action (no ``by``) may, since a manager switched that rule on."""
    _require_static(segment)
    if by is not None:
        _refuse_if_in_approved_campaigns(segment)
    wanted = {int(pk) for pk in customer_ids}
    if not wanted:
        return 0
    existing = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = wanted - existing
    if missing:
        raise ValidationError(_("No customer has the id %(ids)s.") % {"ids": ", ".join(map(str, sorted(missing)))})
    already = set(
        SegmentMember.objects.filter(segment=segment, customer_id__in=wanted).values_list("customer_id", flat=True)
    )
    new = sorted(wanted - already)
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, customer_id=pk, added_by=by) for pk in new],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return len(new)


@transaction.atomic
def segment_members_remove(*, segment: Segment, customer_ids, by: User | None = None) -> int:
    """Take customers off a static list; returns how many were on it. As for adding, a person may
    not change a list an approved campaign uses."""
    _require_static(segment)
    if by is not None:
        _refuse_if_in_approved_campaigns(segment)
    removed, _details = SegmentMember.objects.filter(segment=segment, customer_id__in=list(customer_ids)).delete()
    return removed


def _read_identifiers(upload) -> list[tuple[int, str]]:
    """(row number, text of the first non-blank cell) for each non-blank row after the headings."""
    if getattr(upload, "size", 0) > IMPORT_MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(
            _("This file could not be read as an Excel workbook. Save it as .xlsx and upload it again.")
        ) from None
    rows = []
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            values = [value for value in cells if not is_blank(value)]
            if not values:
                continue
            rows.append((number, cell_text(values[0])))
            if len(rows) > IMPORT_MAX_ROWS:
                raise ValidationError(_("The file has more than %(max)s rows.") % {"max": IMPORT_MAX_ROWS})
    except ValidationError:
        raise
    except Exception:
        raise ValidationError(_("This file could not be read as an Excel workbook.")) from None
    finally:
        workbook.close()
    if not rows:
        raise ValidationError(_("The file has no rows below the headings."))
    return rows


def segment_members_import(*, segment: Segment, upload, by: User | None = None) -> int:
    """Add the customers listed in an .xlsx (first column: customer code or phone number, first
    row: headings). Every row must name a customer; if any does not, nothing is added and the
    error lists the rows. Only customers ``by`` may see are found (the others count as unknown, so
    the import tells nothing about them). Returns how many were added."""
    _require_static(segment)
    rows = _read_identifiers(upload)
    visible = scope_queryset(Customer.objects.all(), by, "customers") if by is not None else Customer.objects.all()
    codes, phones, errors = {}, {}, []
    for number, text in rows:
        codes[text.upper()] = number
        with contextlib.suppress(InvalidPhoneNumber):
            phones[normalize_phone(text)] = number
    by_code = dict(visible.filter(code__in=[t for t, _n in rows] + list(codes)).values_list("code", "pk"))
    by_code_upper = {code.upper(): pk for code, pk in by_code.items()}
    by_phone = dict(visible.exclude(phone="").filter(phone__in=list(phones)).values_list("phone", "pk"))
    phone_rows = CustomerPhone.objects.filter(number__in=list(phones), customer__in=visible)
    for number, pk in phone_rows.values_list("number", "customer_id"):
        by_phone.setdefault(number, pk)
    found: set[int] = set()
    for number, text in rows:
        pk = by_code_upper.get(text.upper())
        if pk is None:
            try:
                pk = by_phone.get(normalize_phone(text))
            except InvalidPhoneNumber:
                pk = None
        if pk is None:
            errors.append(
                _("Row %(row)s: no customer has the code or phone number “%(value)s”.") % {"row": number, "value": text}
            )
        else:
            found.add(pk)
    if errors:
        shown = errors[:IMPORT_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(_("…and %(count)s more rows.") % {"count": len(errors) - len(shown)})
        raise ValidationError(shown)
    return segment_members_add(segment=segment, customer_ids=found, by=by)


# --- counting, membership and snapshots ----------------------------------------------------------


def segment_count(*, segment: Segment, now: datetime | None = None) -> int:
    """Count the segment's customers and store the figure on it (one counting query)."""
    now = now or timezone.now()
    size = segment_customers(segment, now=now).count()
    Segment.objects.filter(pk=segment.pk).update(last_count=size, last_counted_at=now)
    segment.last_count, segment.last_counted_at = size, now
    return size


def segments_recount(*, now: datetime | None = None) -> int:
    """Recount every active segment (the nightly job), so the sizes the lists and the marketing
    home show follow the customers' behaviour between edits. One counting query per segment."""
    now = now or timezone.now()
    segments = list(Segment.objects.filter(is_active=True).order_by("pk"))
    for segment in segments:
        segment_count(segment=segment, now=now)
    return len(segments)


@transaction.atomic
def segment_membership_refresh(*, segment: Segment, now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Bring ``SegmentMembership`` up to date: open a stay for each customer now in the segment
    without one, close the open stays of those no longer in it. Set-based (two reads and bulk
    writes); concurrent refreshes of one segment wait for each other. Returns (entered, left)."""
    now = now or timezone.now()
    Segment.objects.select_for_update().filter(pk=segment.pk).first()
    current = segment_customers(segment, now=now)
    open_stays = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    left = list(
        open_stays.exclude(customer_id__in=current.values("pk"))
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )
    entered = list(
        current.filter(~Exists(open_stays.filter(customer_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(left), BATCH):
        open_stays.filter(customer_id__in=left[start : start + BATCH]).update(left_at=now)
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, customer_id=pk, entered_at=now) for pk in entered], batch_size=BATCH
    )
    Segment.objects.filter(pk=segment.pk).update(membership_refreshed_at=now)
    segment.membership_refreshed_at = now
    return entered, left


@transaction.atomic
def segment_snapshot_take(
    *, segment: Segment, run: CampaignRun | None = None, now: datetime | None = None
) -> SegmentSnapshot:
    """Record the segment's size now (a campaign run using it passes itself as ``run``)."""
    now = now or timezone.now()
    size = segment_count(segment=segment, now=now)
    snapshot = SegmentSnapshot(segment=segment, taken_at=now, size=size, campaign_run=run)
    snapshot.full_clean()
    snapshot.save()
    return snapshot
