"""Demo opportunities in the default pipeline: open ones in every stage (some rotting), won ones
and lost ones with a reason, each with its products, the stage changes of the path it took, a
selling method's playbook for some, and the calls, meetings and tasks of the deal."""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from customers.demo import FEMALE, JOB_TITLES, MALE, SURNAMES
from sales.demo.activities import ActivityWriter
from sales.demo.catalog import Catalogue
from sales.demo.catalog_data import FAMILIES
from sales.demo.common import DAY, HOUR, Buyer, Clock, Pick, References, Seller
from sales.methods import METHODS
from sales.models import Activity, BuyingRole, Opportunity
from sales.totals import ZERO, line_amounts

PICK_OUTCOME = Pick(["open", "won", "lost"], [40, 33, 27])
PICK_METHOD = Pick(["spin", "tas", "radar"], [40, 35, 25])
PICK_STANCE = Pick(BuyingRole.Stance.values, [40, 30, 15, 15])
COMPETITORS = ["Digikala business", "Emersun dealer", "A local importer", "Snowa agency", "Tehran bazaar wholesaler"]
NEXT_STEPS = [
    "Send the revised quote",
    "Call the purchasing manager",
    "Demo at their office",
    "Confirm the delivery schedule",
    "Agree the payment terms",
]
NAMES = ["{kind} – {customer}", "New {kind_lower} for {customer}", "{customer}: {kind_lower} upgrade"]
ANSWERS = {
    "current_setup": "Old units from 2015 and a mix of suppliers.",
    "who_decides": "The purchasing manager with the CFO; IT signs off.",
    "pain_points": "Frequent breakdowns in summer; spare parts are hard to find.",
    "since_when": "Since last summer, every few weeks.",
    "consequences": "Lost working hours and unhappy staff.",
    "if_nothing_changes": "Higher repair bills and more downtime.",
    "value": "Lower running costs and a two-year warranty.",
    "success_looks_like": "No complaints from staff next summer.",
    "event": "Their new branch opens next quarter.",
    "deadline": "Before the end of the Persian year.",
    "competitors": "Digikala business and a local importer.",
    "our_edge": "Installation and after-sales service of our own.",
    "business_value": "One supplier with service included.",
    "proof": "References from two similar companies.",
    "findings": "A growing chain with three branches in Tehran.",
    "opening": "Call the purchasing manager with the new catalogue.",
    "needs": "Reliable equipment with fast service.",
    "root_cause": "Their current supplier has no service team.",
    "fit": "Good: we stock the models they want.",
    "advice": "Standardise on one brand for easier service.",
    "recommendation": "Phase the purchase over two quarters.",
    "agreed_next_step": "Send a quote and visit the site.",
}
KINDS = {family.code: family.kind for family in FAMILIES}


@dataclass
class Deal:
    """What leads and "My day" need to know of a generated opportunity."""

    pk: int
    buyer: Buyer
    seller: Seller
    status: str
    created: int
    source_id: int | None


class PipelineWriter:
    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        catalogue: Catalogue,
        refs: References,
        tables,
        activities: ActivityWriter,
        *,
        opportunity_id: int,
    ) -> None:
        self.rng, self.clock, self.catalogue, self.refs = rng, clock, catalogue, refs
        self.tables, self.activities = tables, activities
        self.next_id = opportunity_id
        self.deals: list[Deal] = []
        count = len(refs.open_stages)
        self.pick_stage = Pick(range(count), [count - index + 1 for index in range(count)])
        self.sources = sorted(refs.sources.values())

    def write(self, buyers: list[Buyer], count: int, sellers_of) -> list[Deal]:
        rng = self.rng
        candidates = [buyer for buyer in buyers if buyer.status != "lost"]
        if not candidates or not self.refs.sellers:
            return []
        pick_buyer = Pick(candidates, [4 if buyer.organisation else 1 for buyer in candidates])
        for _ in range(count):
            buyer = pick_buyer(rng)
            self.opportunity(buyer, sellers_of(buyer))
        return self.deals

    def opportunity(self, buyer: Buyer, seller: Seller) -> None:
        rng, clock, refs = self.rng, self.clock, self.refs
        pk = self.next_id
        self.next_id += 1
        outcome = PICK_OUTCOME(rng)
        stages = refs.open_stages
        rotting = False
        if outcome == "open":
            created = clock.business(rng, -rng.randint(3, 150))
            reached = self.pick_stage(rng)
            path = stages[: reached + 1]
            rot_days = path[-1].rot_days
            rotting = rot_days is not None and rng.random() < 0.25 and -created > (rot_days + 4) * DAY
            end = -(rot_days + 2) * DAY if rotting else -HOUR
        else:
            created = clock.business(rng, -rng.randint(20, 365))
            end = min(created + rng.randint(10, 90) * DAY, -HOUR)
            if outcome == "won":
                path = [stage for stage in stages if stage is stages[0] or rng.random() < 0.85] + [refs.won]
            else:
                path = [*stages[: rng.randint(1, len(stages))], refs.lost]
        created = max(created, buyer.created + HOUR)
        end = max(end, created + len(path) * HOUR)
        moves = [created, *sorted(rng.randint(created + HOUR, end) for _ in path[1:])]
        entered = moves[-1]
        if outcome == "open":
            last_touch = entered if rotting else max(entered, rng.randint(-6 * DAY, -HOUR))
            close_date = clock.today + timedelta(days=rng.randint(-20, 180))
        else:
            last_touch = entered
            close_date = clock.day(entered) + timedelta(days=rng.randint(-10, 10))
        for index, stage in enumerate(path):
            self.tables.stage_changes.add(
                opportunity_id=pk,
                from_stage_id=path[index - 1].pk if index else None,
                to_stage_id=stage.pk,
                changed_by_id=seller.pk,
                changed_at=clock.at(moves[index]),
                seconds_in_previous=moves[index] - moves[index - 1] if index else None,
            )
        stage = path[-1]
        amount, kind = self.lines(pk, buyer, created)
        method, playbook = self.playbook(pk, buyer, outcome, len(path) / (len(stages) + 1))
        name = rng.choice(NAMES).format(kind=kind, kind_lower=kind.lower(), customer=buyer.name)
        source_id = rng.choice(self.sources) if self.sources and rng.random() < 0.8 else None
        self.tables.opportunities.add(
            id=pk,
            name=name[:200],
            customer_id=buyer.pk,
            pipeline_id=refs.pipeline.pk,
            stage_id=stage.pk,
            status=Opportunity.Status(outcome),
            amount=amount,
            probability=stage.probability,
            expected_close_date=close_date,
            owner_id=seller.pk,
            team_id=seller.team_id,
            source_id=source_id,
            competitor=rng.choice(COMPETITORS) if rng.random() < 0.35 else "",
            next_step=rng.choice(NEXT_STEPS) if outcome == "open" else "",
            loss_reason_id=rng.choice(refs.loss_reasons) if outcome == "lost" else None,
            loss_note="They found it cheaper elsewhere." if outcome == "lost" and rng.random() < 0.3 else "",
            closed_at=clock.at(entered) if outcome != "open" else None,
            method=method,
            playbook=playbook,
            stage_entered_at=clock.at(entered),
            last_activity_at=clock.at(last_touch),
            created_at=clock.at(created),
            updated_at=clock.at(last_touch),
            created_by_id=seller.pk,
        )
        self.deals.append(Deal(pk, buyer, seller, outcome, created, source_id))
        self.deal_activities(pk, buyer, seller, outcome, created, last_touch, rotting)

    def lines(self, pk: int, buyer: Buyer, created: int) -> tuple[Decimal, str]:
        """The products of the deal; the amount is their net total (as opportunity_lines_set sets it)."""
        rng, catalogue = self.rng, self.catalogue
        taste = catalogue.top_picks.get(buyer.segment) or catalogue.top_picks[""]
        top = taste(rng)
        chosen = {catalogue.pick(rng, top=top, recent=True) for _ in range(rng.randint(1, 4))}
        quarter = -created // DAY // 91
        amount = ZERO
        for index in sorted(chosen):
            item = catalogue.items[index]
            quantity = rng.choice([2, 5, 10, 20, 40] if item.bulk else [1, 2, 3, 5, 8]) if buyer.organisation else 1
            discount = rng.choice([0, 0, 5, 10])
            unit_price = catalogue.amounts(index, quarter, 1, 0)[0]
            amount += line_amounts(
                quantity=Decimal(quantity), unit_price=unit_price, discount_percent=Decimal(discount)
            ).net
            self.tables.opportunity_lines.add(
                opportunity_id=pk,
                product_id=item.pk,
                quantity=Decimal(quantity),
                unit_price=unit_price,
                discount_percent=Decimal(discount),
            )
        first = catalogue.items[min(chosen)]
        return amount, KINDS[first.family]

    def playbook(self, pk: int, buyer: Buyer, outcome: str, progress: float) -> tuple[str, dict]:
        """A selling method for about a third of the deals (most for organisations), with the
        answers of the steps done so far and, for Target Account Selling, the buying roles."""
        rng = self.rng
        if rng.random() > (0.5 if buyer.organisation else 0.2):
            return "", {}
        method = METHODS[PICK_METHOD(rng)]
        done = max(1, round(len(method.steps) * (1.0 if outcome == "won" else progress)))
        answers: dict[str, dict[str, str]] = {}
        for step in method.steps[:done]:
            if step.uses_buying_roles:
                self.buying_roles(pk)
            elif step.questions:
                answers[step.key] = {question.key: ANSWERS.get(question.key, "") for question in step.questions}
        return method.key, {method.key: answers}

    def buying_roles(self, pk: int) -> None:
        rng = self.rng
        for role in rng.sample(BuyingRole.Role.values, rng.randint(2, 4)):
            first = rng.choice(rng.choice([MALE, FEMALE]))[0]
            self.tables.buying_roles.add(
                opportunity_id=pk,
                name=f"{first} {rng.choice(SURNAMES)[0]}",
                job_title=rng.choice(JOB_TITLES),
                role=role,
                stance=PICK_STANCE(rng),
                influence=rng.randint(1, 5),
            )

    def deal_activities(self, pk, buyer, seller, outcome, created, last_touch, rotting) -> None:
        """Done calls and meetings up to the last touch; an open deal's next step, overdue when
        the deal is rotting, else in the coming days."""
        rng, writer = self.rng, self.activities
        last_done = None
        touches = [*sorted(rng.randint(created, last_touch) for _ in range(rng.randint(0, 3))), last_touch]
        for tick in touches:
            kind = rng.choice([Activity.Kind.CALL, Activity.Kind.CALL, Activity.Kind.MEETING, Activity.Kind.TASK])
            subject = "Call about the quote" if kind == Activity.Kind.CALL else rng.choice(NEXT_STEPS)
            last_done = writer.done(
                kind=kind, subject=subject, tick=tick, seller=seller, customer_id=buyer.pk, opportunity_id=pk
            )
        if outcome == "open" and rng.random() < 0.75:
            due = last_touch + rng.randint(1, 4) * DAY if rotting else self.clock.business(rng, rng.randint(0, 10))
            writer.planned(
                kind=rng.choice([Activity.Kind.CALL, Activity.Kind.TASK, Activity.Kind.MEETING]),
                subject=rng.choice(NEXT_STEPS),
                due=due,
                seller=seller,
                customer_id=buyer.pk,
                opportunity_id=pk,
                follow_up_of=last_done if rng.random() < 0.5 else None,
            )
