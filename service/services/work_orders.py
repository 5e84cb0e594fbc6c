"""Work orders: staff issue and cancel them; the contractor accepts or declines, starts, adds
notes and photos, and marks the job done.

Every step leaves a ``WorkOrderUpdate`` (what the contractor and staff see on the order) and a
``TicketEvent`` (what staff see on the ticket), and each contractor step tells the ticket's owner.
State changes lock the order row (``select_for_update``) so two clicks cannot both win.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.access import Role, can_use_area, has_role
from crm_site.messaging.services import message_enqueue
from crm_site.models import Channel, User
from crm_site.services import notification_create
from service.models import ContractorProfile, Ticket, TicketEvent, WorkOrder, WorkOrderUpdate

Status = WorkOrder.Status

LIVE_STATUSES = frozenset({Status.OFFERED, Status.ACCEPTED, Status.IN_PROGRESS})
# A ticket this far along takes no new work order.
CLOSED_TICKET_STATUSES = frozenset({Ticket.Status.RESOLVED, Ticket.Status.CLOSED})

PHOTO_MAX_BYTES = 8 * 1024 * 1024
# Extension -> the image type its first bytes must show: a renamed file is refused.
PHOTO_EXTENSIONS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}


def _image_kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def work_order_photo_validate(photo: UploadedFile) -> None:
    """A JPEG, PNG or WebP image of at most 8 MB whose content matches its extension."""
    name = photo.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in PHOTO_EXTENSIONS:
        raise ValidationError({"photo": _("Send a photo as a JPEG, PNG or WebP file.")})
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("The photo is larger than 8 MB.")})
    photo.seek(0)
    head = photo.read(12)
    photo.seek(0)
    if _image_kind(head) != PHOTO_EXTENSIONS[extension]:
        raise ValidationError({"photo": _("This file is not the image its name says it is.")})


def _check_contractor(contractor: User) -> ContractorProfile:
    profile = ContractorProfile.objects.select_related("company").filter(user=contractor).first()
    if not contractor.is_active or not has_role(contractor, Role.CONTRACTOR) or profile is None:
        raise ValidationError({"contractor": _("Choose an active contractor.")})
    if not profile.company.is_active:
        raise ValidationError({"contractor": _("This contractor's company is no longer active.")})
    return profile


def _service_address(ticket: Ticket) -> str:
    """The customer's address, or their organisation's when the person has none on file."""
    for customer in (ticket.customer, ticket.customer.organisation):
        if customer is None:
            continue
        parts = [customer.address.strip(), customer.region, customer.city, customer.get_province_display()]
        if customer.postal_code:
            parts.append(_("postal code %(code)s") % {"code": customer.postal_code})
        text = ", ".join(part for part in parts if part)
        if customer.address.strip() or customer.city:
            return text
    return ""


def _set_ticket_status(*, ticket: Ticket, status: str, by: User, note: str) -> None:
    from service.services.tickets import ticket_set_status

    if ticket.status != status:
        ticket_set_status(ticket=ticket, status=status, by=by, note=note)


def _release_ticket(*, work_order: WorkOrder, by: User, note: str) -> None:
    """Hand the ticket back to its owner when its last live work order ends."""
    ticket = Ticket.objects.select_for_update().get(pk=work_order.ticket_id)
    others_live = ticket.work_orders.exclude(pk=work_order.pk).filter(status__in=LIVE_STATUSES).exists()
    if ticket.status == Ticket.Status.WAITING_CONTRACTOR and not others_live:
        _set_ticket_status(ticket=ticket, status=Ticket.Status.OPEN, by=by, note=note)


def _record(
    *, work_order: WorkOrder, by: User, status: str = "", note: str = "", photo: UploadedFile | None = None
) -> WorkOrderUpdate:
    update = WorkOrderUpdate(work_order=work_order, author=by, status=status, note=note)
    if photo is not None:
        update.photo = photo
    update.full_clean()
    update.save()
    summary = note
    if photo is not None:
        summary = (note + "\n" if note else "") + _("(photo attached)")
    TicketEvent.objects.create(
        ticket_id=work_order.ticket_id,
        kind=TicketEvent.Kind.WORK_ORDER,
        old_value=str(work_order.contractor)[:200],
        new_value=str(WorkOrder.Status(status).label) if status else _("Note"),
        note=summary,
        user=by,
    )
    return update


def _tell_owner(*, work_order: WorkOrder, update: WorkOrderUpdate, title: str) -> None:
    ticket = work_order.ticket
    if ticket.owner_id is None or ticket.owner_id == update.author_id:
        return
    notification_create(
        recipient=ticket.owner,
        title=title,
        body=update.note[:500],
        url=ticket.get_absolute_url(),
        dedupe_key=f"work_order_update:{update.pk}",
    )


def _locked(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("ticket__owner", "contractor")
        .get(pk=work_order.pk)
    )


def _check_own(work_order: WorkOrder, by: User) -> None:
    if work_order.contractor_id != by.pk:
        raise ValidationError(_("This work order is not assigned to you."))


def _check_status(work_order: WorkOrder, allowed: set[str], message: str) -> None:
    if work_order.status not in allowed:
        raise ValidationError(message)


@transaction.atomic
def work_order_issue(
    *,
    ticket: Ticket,
    contractor: User,
    by: User,
    instructions: str = "",
    scheduled_for: datetime | None = None,
) -> WorkOrder:
    """Offer the job on ``ticket`` to ``contractor``, with a copy of what they need to know."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("customer__organisation").get(pk=ticket.pk)
    if ticket.status in CLOSED_TICKET_STATUSES:
        raise ValidationError(_("A resolved or closed ticket takes no new work order."))
    _check_contractor(contractor)
    customer = ticket.customer
    address = _service_address(ticket)
    if not address:
        raise ValidationError(
            _("The customer has no address on file: add one to the customer before sending a contractor.")
        )
    phone = customer.phone or (customer.organisation.phone if customer.organisation else "")
    if not phone:
        raise ValidationError(_("The customer has no phone on file: add one before sending a contractor."))
    work_order = WorkOrder(
        ticket=ticket,
        contractor=contractor,
        subject=ticket.subject,
        instructions=instructions.strip(),
        service_address=address,
        contact_name=customer.name[:200],
        contact_phone=phone,
        scheduled_for=scheduled_for,
        created_by=by,
    )
    work_order.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            work_order.save()
    except IntegrityError:
        raise ValidationError(
            {"contractor": _("This contractor already has a live work order on this ticket.")}
        ) from None
    WorkOrderUpdate.objects.create(
        work_order=work_order, author=by, status=Status.OFFERED, note=work_order.instructions
    )
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.WORK_ORDER,
        old_value=str(contractor)[:200],
        new_value=str(Status.OFFERED.label),
        note=work_order.instructions,
        user=by,
    )
    _set_ticket_status(
        ticket=ticket,
        status=Ticket.Status.WAITING_CONTRACTOR,
        by=by,
        note=_("Work order sent to %(contractor)s.") % {"contractor": contractor},
    )
    portal_url = reverse("portal:work_order", args=[work_order.pk])
    notification_create(
        recipient=contractor,
        title=_("New work order: %(subject)s") % {"subject": work_order.subject},
        body=work_order.instructions[:500],
        url=portal_url,
        dedupe_key=f"work_order_issued:{work_order.pk}",
    )
    if contractor.phone:
        message_enqueue(
            channel=Channel.SMS,
            recipient=contractor.phone,
            body=_("New work order: %(subject)s. Open your portal to accept or decline it.")
            % {"subject": work_order.subject[:80]},
            idempotency_key=f"work_order_issued:{work_order.pk}",
            concerning=work_order,
        )
    return work_order


@transaction.atomic
def work_order_accept(*, work_order: WorkOrder, by: User) -> WorkOrder:
    work_order = _locked(work_order)
    _check_own(work_order, by)
    _check_status(work_order, {Status.OFFERED}, _("Only an offered work order can be accepted."))
    work_order.status = Status.ACCEPTED
    work_order.accepted_at = timezone.now()
    work_order.full_clean(validate_constraints=False)
    work_order.save(update_fields=["status", "accepted_at"])
    update = _record(work_order=work_order, by=by, status=Status.ACCEPTED)
    _tell_owner(
        work_order=work_order,
        update=update,
        title=_("%(contractor)s accepted the work order on ticket %(number)s")
        % {"contractor": by, "number": work_order.ticket.number},
    )
    return work_order


@transaction.atomic
def work_order_decline(*, work_order: WorkOrder, by: User, reason: str) -> WorkOrder:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you decline the job.")})
    work_order = _locked(work_order)
    _check_own(work_order, by)
    _check_status(work_order, {Status.OFFERED}, _("Only an offered work order can be declined."))
    work_order.status = Status.DECLINED
    work_order.decline_reason = reason[:300]
    work_order.full_clean(validate_constraints=False)
    work_order.save(update_fields=["status", "decline_reason"])
    update = _record(work_order=work_order, by=by, status=Status.DECLINED, note=reason)
    _release_ticket(
        work_order=work_order, by=by, note=_("%(contractor)s declined the work order.") % {"contractor": by}
    )
    _tell_owner(
        work_order=work_order,
        update=update,
        title=_("%(contractor)s declined the work order on ticket %(number)s")
        % {"contractor": by, "number": work_order.ticket.number},
    )
    return work_order


@transaction.atomic
def work_order_start(*, work_order: WorkOrder, by: User) -> WorkOrder:
    work_order = _locked(work_order)
    _check_own(work_order, by)
    _check_status(work_order, {Status.ACCEPTED}, _("Accept the work order before starting it."))
    work_order.status = Status.IN_PROGRESS
    work_order.save(update_fields=["status"])
    update = _record(work_order=work_order, by=by, status=Status.IN_PROGRESS)
    _tell_owner(
        work_order=work_order,
        update=update,
        title=_("%(contractor)s started the work on ticket %(number)s")
        % {"contractor": by, "number": work_order.ticket.number},
    )
    return work_order


@transaction.atomic
def work_order_note(
    *, work_order: WorkOrder, by: User, note: str = "", photo: UploadedFile | None = None
) -> WorkOrderUpdate:
    """A note and/or a photo on an accepted or running job, by its contractor (or by staff)."""
    note = (note or "").strip()
    if not note and photo is None:
        raise ValidationError({"note": _("Write a note or attach a photo.")})
    if photo is not None:
        work_order_photo_validate(photo)
    work_order = _locked(work_order)
    is_contractor = has_role(by, Role.CONTRACTOR)
    if is_contractor:
        _check_own(work_order, by)
    elif not can_use_area(by, "service"):
        raise ValidationError(_("You may not add notes to this work order."))
    _check_status(
        work_order,
        {Status.ACCEPTED, Status.IN_PROGRESS},
        _("Notes and photos can be added only while the job is accepted or in progress."),
    )
    update = _record(work_order=work_order, by=by, note=note, photo=photo)
    if is_contractor:
        _tell_owner(
            work_order=work_order,
            update=update,
            title=_("%(contractor)s added an update to ticket %(number)s")
            % {"contractor": by, "number": work_order.ticket.number},
        )
    return update


@transaction.atomic
def work_order_done(*, work_order: WorkOrder, by: User, note: str) -> WorkOrder:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done.")})
    work_order = _locked(work_order)
    _check_own(work_order, by)
    _check_status(
        work_order, {Status.ACCEPTED, Status.IN_PROGRESS}, _("Only an accepted or running job can be marked done.")
    )
    work_order.status = Status.DONE
    work_order.done_at = timezone.now()
    work_order.save(update_fields=["status", "done_at"])
    update = _record(work_order=work_order, by=by, status=Status.DONE, note=note)
    _release_ticket(
        work_order=work_order, by=by, note=_("%(contractor)s finished the work order.") % {"contractor": by}
    )
    _tell_owner(
        work_order=work_order,
        update=update,
        title=_("%(contractor)s finished the work order on ticket %(number)s")
        % {"contractor": by, "number": work_order.ticket.number},
    )
    return work_order


@transaction.atomic
def work_order_cancel(*, work_order: WorkOrder, by: User, reason: str = "") -> WorkOrder:
    """Staff withdraw a live work order (the contractor sees it cancelled and can act no more)."""
    if has_role(by, Role.CONTRACTOR) or not can_use_area(by, "service"):
        raise ValidationError(_("Only staff can cancel a work order."))
    work_order = _locked(work_order)
    _check_status(work_order, set(LIVE_STATUSES), _("This work order is already finished."))
    work_order.status = Status.CANCELLED
    work_order.save(update_fields=["status"])
    _record(work_order=work_order, by=by, status=Status.CANCELLED, note=(reason or "").strip())
    _release_ticket(work_order=work_order, by=by, note=_("Work order cancelled."))
    notification_create(
        recipient=work_order.contractor,
        title=_("Work order cancelled: %(subject)s") % {"subject": work_order.subject},
        url=reverse("portal:work_order", args=[work_order.pk]),
        dedupe_key=f"work_order_cancelled:{work_order.pk}",
    )
    return work_order
