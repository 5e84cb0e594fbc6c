"""Demo calls, meetings and tasks: done ones in the past (calls with direction, duration and
outcome, on the customer's timeline like those logged in the app), and open ones overdue, today
and upcoming with reminders, so that every seller's "My day" has something in each section."""

import random
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from customers.demo import CALL_TOPICS
from customers.models import Interaction
from sales.demo.common import DAY, HOUR, Buyer, Clock, Pick, Seller
from sales.models import Activity

PICK_OUTCOME = Pick(Interaction.Outcome.values, [62, 16, 7, 6, 2, 7])
PICK_REMIND_BEFORE = Pick([None, 15 * 60, 30 * 60, HOUR, DAY], [30, 25, 20, 15, 10])
MEETING_SUBJECTS = ["Product demo at their office", "Visit to the showroom", "Contract review", "Site survey"]
TASK_SUBJECTS = [
    "Prepare the quote for {name}",
    "Send the catalogue to {name}",
    "Check the delivery date for {name}",
    "Update the price list for {name}",
]
CALL_NOTES = [
    "Wants a better price on the larger quantity.",
    "Asked for the quote in Persian.",
    "Decision after the budget meeting next week.",
    "Happy with the demo; waiting for the purchasing manager.",
    "قرار شد پیش‌فاکتور جدید ارسال شود.",
    "",
]


@dataclass
class Planned:
    """What a seller has to do about one record (for "My day")."""

    seller: Seller
    name: str
    customer_id: int | None = None
    lead_id: int | None = None
    opportunity_id: int | None = None


class ActivityWriter:
    def __init__(self, rng: random.Random, clock: Clock, tables, *, activity_id: int, interaction_id: int) -> None:
        self.rng, self.clock, self.tables = rng, clock, tables
        self.next_activity, self.next_interaction = activity_id, interaction_id
        self.content_type_id = ContentType.objects.get_for_model(Activity).pk
        # One reverse() for the pattern, not one per row.
        self.url = reverse("sales:activity_detail", args=[987654321]).replace("987654321", "{}")
        self.count = 0
        self.open_count = 0

    def _id(self) -> int:
        self.count += 1
        self.next_activity += 1
        return self.next_activity - 1

    def done(
        self,
        *,
        kind: str,
        subject: str,
        tick: int,
        seller: Seller,
        customer_id: int | None = None,
        lead_id: int | None = None,
        opportunity_id: int | None = None,
    ) -> int:
        """A call, meeting or task done at ``tick`` (a few are cancelled instead)."""
        rng, at = self.rng, self.clock.at
        pk = self._id()
        created = tick - rng.randrange(HOUR, 4 * DAY)
        values = {"status": Activity.Status.DONE, "done_at": at(tick), "notes": rng.choice(CALL_NOTES)}
        if rng.random() < 0.03:
            values = {"status": Activity.Status.CANCELLED}
        elif kind == Activity.Kind.CALL:
            values["direction"] = "out" if rng.random() < 0.75 else "in"
            values["outcome"] = PICK_OUTCOME(rng)
            if values["outcome"] in ("answered", "call_back"):
                values["duration_seconds"] = rng.randrange(40, 1200)
        elif kind == Activity.Kind.MEETING:
            values["duration_seconds"] = rng.randrange(2, 9) * 15 * 60
        if customer_id and kind != Activity.Kind.TASK and values["status"] == Activity.Status.DONE:
            values["interaction_id"] = self._interaction(pk, kind, subject, tick, seller, customer_id, values)
        self.tables.activities.add(
            id=pk,
            kind=kind,
            subject=subject,
            due_at=at(tick - rng.randrange(0, 2 * HOUR)),
            assignee_id=seller.pk,
            customer_id=customer_id,
            lead_id=lead_id,
            opportunity_id=opportunity_id,
            created_by_id=seller.pk,
            created_at=at(created),
            updated_at=at(tick),
            **values,
        )
        return pk

    def _interaction(self, pk, kind, subject, tick, seller, customer_id, values) -> int:
        interaction_id = self.next_interaction
        self.next_interaction += 1
        self.tables.interactions.add(
            id=interaction_id,
            customer_id=customer_id,
            kind=Interaction.Kind.CALL if kind == Activity.Kind.CALL else Interaction.Kind.MEETING,
            occurred_at=self.clock.at(tick),
            user_id=seller.pk,
            subject=subject,
            body=values.get("notes", ""),
            direction=values.get("direction", ""),
            duration_seconds=values.get("duration_seconds"),
            outcome=values.get("outcome", ""),
            content_type_id=self.content_type_id,
            object_id=str(pk),
            url=self.url.format(pk),
            created_at=self.clock.at(tick),
        )
        return interaction_id

    def planned(
        self,
        *,
        kind: str,
        subject: str,
        due: int,
        seller: Seller,
        customer_id: int | None = None,
        lead_id: int | None = None,
        opportunity_id: int | None = None,
        follow_up_of: int | None = None,
    ) -> int:
        """An open activity due at ``due``, usually with a reminder (sent already if it was due
        before today; today's are left for the reminder job)."""
        rng, at = self.rng, self.clock.at
        pk = self._id()
        self.open_count += 1
        created = min(due, 0) - rng.randrange(HOUR, 5 * DAY)
        before = PICK_REMIND_BEFORE(rng)
        remind = due - before if before else None
        self.tables.activities.add(
            id=pk,
            kind=kind,
            subject=subject,
            status=Activity.Status.OPEN,
            due_at=at(due),
            remind_at=at(remind) if remind is not None else None,
            reminder_sent_at=at(remind + 20) if remind is not None and remind < 0 else None,
            assignee_id=seller.pk,
            customer_id=customer_id,
            lead_id=lead_id,
            opportunity_id=opportunity_id,
            follow_up_of_id=follow_up_of,
            created_by_id=seller.pk,
            created_at=at(created),
            updated_at=at(created),
        )
        return pk

    # --- whole sets ----------------------------------------------------------------------------

    def customer_calls(self, buyers: list[Buyer], sellers_of, count: int) -> None:
        """Calls to customers about their orders, payments and service (not about a deal)."""
        rng = self.rng
        for buyer in rng.sample(buyers, min(count, len(buyers))):
            seller = sellers_of(buyer)
            tick = self.clock.business(rng, rng.randint(buyer.created // DAY, -1))
            if tick < buyer.created:
                continue
            self.done(
                kind=Activity.Kind.CALL,
                subject=f"Call about {rng.choice(CALL_TOPICS)}",
                tick=tick,
                seller=seller,
                customer_id=buyer.pk,
            )

    def my_day(self, plans: list[Planned]) -> None:
        """For each seller: a few overdue items, a full today and the next two weeks."""
        rng = self.rng
        by_seller: dict[int, list[Planned]] = {}
        for plan in plans:
            by_seller.setdefault(plan.seller.pk, []).append(plan)
        for _seller_id, options in sorted(by_seller.items()):
            days = (
                [rng.randint(-6, -1) for _ in range(rng.randint(3, 6))]
                + [0] * rng.randint(5, 8)
                + [rng.randint(1, 14) for _ in range(rng.randint(8, 14))]
            )
            for day in days:
                plan = rng.choice(options)
                kind = rng.choice([Activity.Kind.CALL, Activity.Kind.CALL, Activity.Kind.MEETING, Activity.Kind.TASK])
                if kind == Activity.Kind.CALL:
                    subject = f"Call {plan.name} about {rng.choice(CALL_TOPICS)}"
                elif kind == Activity.Kind.MEETING:
                    subject = f"{rng.choice(MEETING_SUBJECTS)}: {plan.name}"
                else:
                    subject = rng.choice(TASK_SUBJECTS).format(name=plan.name)
                due = day * DAY + rng.randrange(9, 19) * HOUR + rng.choice([0, 15, 30, 45]) * 60
                self.planned(
                    kind=kind,
                    subject=subject[:200],
                    due=due,
                    seller=plan.seller,
                    customer_id=plan.customer_id,
                    lead_id=plan.lead_id,
                    opportunity_id=plan.opportunity_id,
                )
