"""The demo contractor: a company, the demo user contractor1 as its technician with skills, and a
few work orders on demo tickets (live ones on tickets waiting on a contractor, done ones on
resolved repairs and installations), with the technician's updates."""

import random
from datetime import datetime, timedelta

from crm_site.bulkload import bulk_table
from crm_site.demo import DemoContext
from sales.demo.common import Pick
from service.demo import text
from service.demo.tickets import Planned
from service.models import ContractorCompany, ContractorProfile, Skill, Ticket, WorkOrder, WorkOrderUpdate

COMPANY = ("Pars Home Services", "+982188001234")
SKILLS = ["Repairs", "Installation"]
LIVE, DONE = 4, 6  # work orders of each kind at most
PICK_LIVE = Pick([WorkOrder.Status.OFFERED, WorkOrder.Status.ACCEPTED, WorkOrder.Status.IN_PROGRESS], [3, 3, 4])
_CLOSED = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)


def contractor_seed(
    ctx: DemoContext,
    rng: random.Random,
    planned: list[Planned],
    customers: dict[int, tuple[str, str, str, str]],
    *,
    work_order_id: int,
    now: datetime,
) -> int:
    """Returns the number of work orders written. ``customers``: name, phone, address and city
    by id, as the ticket writer had them."""
    user = ctx.users.get("contractor1")
    if user is None:
        return 0
    company, _created = ContractorCompany.objects.get_or_create(name=COMPANY[0], defaults={"phone": COMPANY[1]})
    profile, _created = ContractorProfile.objects.get_or_create(user=user, defaults={"company": company})
    profile.skills.add(*Skill.objects.filter(name__in=SKILLS))

    live = [ticket for ticket in planned if ticket.status == Ticket.Status.WAITING_CONTRACTOR][-LIVE:]
    done = [ticket for ticket in planned if ticket.status in _CLOSED and ticket.category in SKILLS][-DONE:]
    chosen = live + done
    if not chosen:
        return 0
    next_id = work_order_id
    orders, updates = bulk_table(WorkOrder, with_pk=True), bulk_table(WorkOrderUpdate)
    for ticket in chosen:
        name, phone, address, city = customers[ticket.customer_id]
        finished = ticket.status in _CLOSED
        status = WorkOrder.Status.DONE if finished else PICK_LIVE(rng)
        # Issued, accepted and done in that order, inside the ticket's life.
        end = ticket.resolved_at if finished and ticket.resolved_at else now
        issued = ticket.created_at + (end - ticket.created_at) * rng.uniform(0.1, 0.3)
        accepted = issued + (end - issued) * rng.uniform(0.1, 0.3) if status != WorkOrder.Status.OFFERED else None
        done_at = end - (end - accepted) * 0.1 if finished and accepted else None
        orders.add(
            id=next_id,
            ticket_id=ticket.pk,
            contractor_id=user.pk,
            status=status,
            subject=ticket.subject,
            instructions="Please call the customer before the visit.",
            service_address=", ".join(part for part in (address, city) if part) or city or "—",
            contact_name=name,
            contact_phone=phone,
            scheduled_for=(accepted + timedelta(days=1)) if accepted else None,
            accepted_at=accepted,
            done_at=done_at,
            created_by_id=ticket.owner_id,
            created_at=issued,
        )
        moments = [moment for moment in (accepted, done_at) if moment]
        for index, moment in enumerate(moments):
            updates.add(
                work_order_id=next_id,
                author_id=user.pk,
                note=text.WORK_ORDER_NOTES[index % len(text.WORK_ORDER_NOTES)],
                status=WorkOrder.Status.DONE if moment == done_at else WorkOrder.Status.ACCEPTED,
                created_at=moment,
            )
        next_id += 1
    orders.flush()
    updates.flush()
    return len(chosen)
