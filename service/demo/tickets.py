"""One demo ticket's life, decided up front and written as rows: created, answered (in time or
late), perhaps transferred, waiting, resolved and closed, rated; with the breaches and warnings
the service-level job would have marked, and the history and conversation that go with them.

Deadlines come from ``service/business_hours.py`` on the default calendar, as the SLA service
computes them. Moments after "now" (today's local midnight, so a seed gives the same data all
day) have not happened yet: that is what leaves a ticket new, open or waiting.
"""

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm_site.text import search_key
from customers.models import Interaction
from sales.demo.common import Pick
from service import business_hours
from service.demo import text
from service.models import Ticket, TicketEvent, TicketMessage

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
DAYS_BACK = 365
RECENT_DAYS, RECENT_SHARE = 15, 0.2

PICK_KIND = Pick(
    [Ticket.Kind.COMPLAINT, Ticket.Kind.REQUEST, Ticket.Kind.INCIDENT, Ticket.Kind.QUESTION], [34, 33, 18, 15]
)
PICK_CHANNEL = Pick(
    [
        Ticket.Channel.PHONE,
        Ticket.Channel.WEB_FORM,
        Ticket.Channel.EMAIL,
        Ticket.Channel.IN_PERSON,
        Ticket.Channel.ORDER,
    ],
    [40, 25, 15, 8, 12],
)
PICK_PRIORITY = Pick([1, 2, 3, 4], [15, 55, 22, 8])
PICK_TRANSFERS = Pick([0, 1, 2, 3], [68, 20, 8, 4])
PICK_SCORE = Pick([5, 4, 3, 2, 1], [48, 28, 11, 7, 6])
PICK_WAITING = Pick(
    [Ticket.Status.OPEN, Ticket.Status.WAITING_CUSTOMER, Ticket.Status.WAITING_CONTRACTOR], [60, 22, 18]
)


@dataclass
class Refs:
    """What every ticket points at, read once."""

    calendar: business_hours.BusinessCalendar
    policies: dict[int, tuple[int, int, int, int]]  # priority -> (policy id, first, resolution, warn) in minutes
    categories: list[tuple[int, str]]  # (id, top-level category name)
    owners: list[tuple[int, str, int]]  # (user id, display name, weight)
    team_id: int | None
    handoff_limit: int
    ticket_type: int  # content type of Ticket, for the timeline
    ticket_url: str  # "/service/tickets/{}/"
    now: datetime


@dataclass
class Counts:
    tickets: int = 0
    complaints: int = 0
    open: int = 0
    breached: int = 0
    transferred: int = 0
    flagged: int = 0
    answered: int = 0


@dataclass
class Planned:
    """A ticket's decided facts the work orders need afterwards."""

    pk: int
    number: str
    subject: str
    status: str
    category: str
    customer_id: int
    created_at: datetime
    resolved_at: datetime | None
    owner_id: int


@dataclass
class TicketWriter:
    rng: random.Random
    refs: Refs
    tables: object  # BulkTables: tickets, messages, events, transfers, surveys, interactions
    next_interaction: int
    counts: Counts = field(default_factory=Counts)
    planned: list[Planned] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._pick_owner = Pick(self.refs.owners, [row[2] for row in self.refs.owners])

    def _later(self, start: datetime, business_minutes: float) -> datetime:
        return business_hours.add_business_time(self.refs.calendar, start, timedelta(minutes=business_minutes))

    def write(self, pk: int, customer: tuple[int, str, str, datetime]) -> None:
        rng, refs, now = self.rng, self.refs, self.refs.now
        customer_id, customer_name, customer_phone, customer_since = customer
        # A fifth of the year's tickets came in the last two weeks: the open work of today.
        days = rng.randrange(1, RECENT_DAYS) if rng.random() < RECENT_SHARE else rng.randrange(1, DAYS_BACK)
        created = now - DAY * days + timedelta(minutes=rng.randrange(8 * 60, 19 * 60))
        if created <= customer_since:
            created = min(customer_since + timedelta(hours=rng.randrange(2, 24 * 20)), now - timedelta(hours=2))
        kind = PICK_KIND(rng)
        channel = PICK_CHANNEL(rng)
        category_id, root = rng.choice(refs.categories)
        subject, description = rng.choice(text.SUBJECTS.get(root) or text.SUBJECTS["Product questions"])
        priority = PICK_PRIORITY(rng)
        policy_id, first_minutes, resolution_minutes, warn_minutes = refs.policies[priority]
        first_due = self._later(created, first_minutes)
        resolution_due = self._later(created, resolution_minutes)
        first_warn = self._later(created, max(first_minutes - warn_minutes, 0))
        resolution_warn = self._later(created, max(resolution_minutes - warn_minutes, 0))
        # Most first answers and resolutions come in time; some are late.
        late_reply = rng.random() < 0.1
        answered = self._later(created, first_minutes * (rng.uniform(1.1, 3) if late_reply else rng.uniform(0.1, 0.9)))
        late_fix = rng.random()
        # Most are fixed in time, some late, and a few drag on for weeks.
        share = rng.uniform(0.2, 0.95) if late_fix >= 0.13 else rng.uniform(1.05, 2.5) if late_fix >= 0.03 else 12
        fixed = self._later(max(answered, created), resolution_minutes * share)
        first_response_at = answered if answered <= now else None
        resolved_at = fixed if first_response_at and fixed <= now else None
        closed_at = resolved_at + 3 * DAY if resolved_at and resolved_at + 3 * DAY <= now else None
        if closed_at:
            status = Ticket.Status.CLOSED
        elif resolved_at:
            status = Ticket.Status.RESOLVED
        elif first_response_at:
            status = PICK_WAITING(rng)
        else:
            status = Ticket.Status.NEW
        paused_at = left_seconds = None
        if status == Ticket.Status.WAITING_CUSTOMER:
            paused_at = first_response_at + (now - first_response_at) * rng.uniform(0.2, 0.9)
            left = business_hours.business_time_between(refs.calendar, paused_at, max(paused_at, resolution_due))
            left_seconds = int(left.total_seconds())

        # The owner now, and the hand-offs that led to them (the previous owner was the other one).
        owner_id = self._pick_owner(rng)[0]
        hops = PICK_TRANSFERS(rng) if len(refs.owners) > 1 else 0
        chain = [owner_id]
        for _hop in range(hops):
            chain.insert(0, next(row[0] for row in refs.owners if row[0] != chain[0]))
        names = {row[0]: row[1] for row in refs.owners}
        end = resolved_at or now
        transfer_times = sorted(created + (end - created) * rng.uniform(0.05, 0.8) for _hop in range(hops))
        flagged_at = transfer_times[refs.handoff_limit] if hops > refs.handoff_limit else None

        events: list[tuple] = [(TicketEvent.Kind.CREATED, "", str(Ticket.Kind(kind).label), "", chain[0], created)]
        messages: list[tuple] = [(TicketMessage.Kind.CUSTOMER, description, None, created)]
        for index, moment in enumerate(transfer_times):
            reason = rng.choice(text.TRANSFER_REASONS)
            from_id, to_id = chain[index], chain[index + 1]
            self.tables.transfers.add(
                ticket_id=pk, from_user_id=from_id, to_user_id=to_id, by_id=from_id, reason=reason, created_at=moment
            )
            events.append((TicketEvent.Kind.TRANSFERRED, names[from_id], names[to_id], reason, from_id, moment))

        # What the service-level job would have marked, a minute after each moment came.
        marks = {}
        for name, warn, due, done in (
            ("first_response", first_warn, first_due, first_response_at),
            ("resolution", resolution_warn, resolution_due, resolved_at),
        ):
            stopped = paused_at if name == "resolution" and paused_at else None
            for mark, moment in (("warned", warn), ("breached", due)):
                at = moment + MINUTE
                if at <= now and (done is None or done > at) and (stopped is None or stopped > at):
                    marks[f"{name}_{mark}_at"] = at
                    what = "first response" if name == "first_response" else "resolution"
                    if mark == "warned":
                        events.append((TicketEvent.Kind.SLA_WARNING, "", what, "", None, at))
                    else:
                        priority = min(priority + 1, Ticket.Priority.URGENT)
                        events.append((TicketEvent.Kind.SLA_BREACH, "", what, "", None, at))
                        events.append(
                            (
                                TicketEvent.Kind.ESCALATED,
                                "",
                                str(Ticket.Priority(priority).label),
                                "Priority raised and the team's manager notified.",
                                None,
                                at,
                            )
                        )

        if first_response_at:
            messages.append((TicketMessage.Kind.REPLY, rng.choice(text.FIRST_REPLIES), owner_id, first_response_at))
            events.append((TicketEvent.Kind.STATUS, "New", "Open", "", owner_id, first_response_at))
            later = resolved_at or now
            if rng.random() < 0.4:
                at = first_response_at + (later - first_response_at) * rng.uniform(0.1, 0.5)
                messages.append((TicketMessage.Kind.NOTE, rng.choice(text.NOTES), owner_id, at))
            if rng.random() < 0.5:
                at = first_response_at + (later - first_response_at) * rng.uniform(0.5, 0.9)
                messages.append((TicketMessage.Kind.CUSTOMER, rng.choice(text.CUSTOMER_FOLLOW_UPS), None, at))
        if paused_at:
            events.append((TicketEvent.Kind.STATUS, "Open", "Waiting on the customer", "", owner_id, paused_at))
        if status == Ticket.Status.WAITING_CONTRACTOR:
            at = first_response_at + (now - first_response_at) * rng.uniform(0.2, 0.9)
            events.append((TicketEvent.Kind.STATUS, "Open", "Waiting on a contractor", "", owner_id, at))
        if resolved_at:
            messages.append((TicketMessage.Kind.REPLY, rng.choice(text.RESOLUTION_REPLIES), owner_id, resolved_at))
            events.append((TicketEvent.Kind.STATUS, "Open", "Resolved", "", owner_id, resolved_at))
            self._survey(pk, customer_id, resolved_at, events)
        if closed_at:
            events.append((TicketEvent.Kind.STATUS, "Resolved", "Closed", "", None, closed_at))

        number = f"T-{pk:06d}"
        self.tables.tickets.add(
            id=pk,
            number=number,
            kind=kind,
            channel=channel,
            category_id=category_id,
            priority=priority,
            status=status,
            customer_id=customer_id,
            subject=subject,
            description=description,
            owner_id=owner_id,
            team_id=refs.team_id,
            handoffs=hops,
            handoffs_flagged_at=flagged_at,
            sla_policy_id=policy_id,
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
            first_response_warn_at=first_warn,
            resolution_warn_at=resolution_warn,
            sla_paused_at=paused_at,
            resolution_left_seconds=left_seconds,
            first_response_at=first_response_at,
            resolved_at=resolved_at,
            closed_at=closed_at,
            public_token=secrets.token_urlsafe(24),  # a real secret even in demo data
            search_text=search_key(f"{number} {subject} {customer_name} {customer_phone}"),
            created_by_id=None if channel == Ticket.Channel.WEB_FORM else chain[0],
            created_at=created,
            updated_at=max(moment for *_rest, moment in events),
            **marks,
        )
        for kind_, body, author, at in messages:
            self.tables.messages.add(ticket_id=pk, kind=kind_, body=body, author_id=author, created_at=at)
        for kind_, old, new, note, user, at in events:
            self.tables.events.add(
                ticket_id=pk, kind=kind_, old_value=old, new_value=new, note=note, user_id=user, created_at=at
            )
        self.tables.interactions.add(
            id=self.next_interaction,
            customer_id=customer_id,
            kind=Interaction.Kind.TICKET,
            occurred_at=created,
            user_id=chain[0],
            subject=f"{number}: {subject}"[:200],
            body=description,
            direction=Interaction.Direction.INBOUND,
            content_type_id=refs.ticket_type,
            object_id=str(pk),
            url=refs.ticket_url.format(pk),
            created_at=created,
        )
        self.next_interaction += 1

        counts = self.counts
        counts.tickets += 1
        counts.complaints += kind == Ticket.Kind.COMPLAINT
        counts.open += status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        counts.breached += "first_response_breached_at" in marks or "resolution_breached_at" in marks
        counts.transferred += hops > 0
        counts.flagged += flagged_at is not None
        self.planned.append(Planned(pk, number, subject, status, root, customer_id, created, resolved_at, owner_id))

    def _survey(self, pk: int, customer_id: int, resolved_at: datetime, events: list[tuple]) -> None:
        """Most resolved tickets get the survey SMS; about two thirds of those are answered."""
        rng, now = self.rng, self.refs.now
        if rng.random() >= 0.7:
            return
        sent_at = resolved_at + 5 * MINUTE
        answered_at = sent_at + timedelta(minutes=rng.randrange(10, 36 * 60))
        answered = rng.random() < 0.65 and answered_at <= now
        score = PICK_SCORE(rng) if answered else None
        self.tables.surveys.add(
            ticket_id=pk,
            customer_id=customer_id,
            token=secrets.token_urlsafe(24),
            sent_at=sent_at,
            answered_at=answered_at if answered else None,
            score=score,
            comment=rng.choice(text.SURVEY_COMMENTS[score]) if answered else "",
        )
        events.append((TicketEvent.Kind.SURVEY, "", "Sent", "", None, sent_at))
        if answered:
            events.append((TicketEvent.Kind.SURVEY, "", f"Score {score}", "", None, answered_at))
            self.counts.answered += 1
