"""Demo leads over about two years: from the web form (assigned round-robin by a rule), entered by
staff and imported; new, contacted, qualified, disqualified with a reason, and converted into an
opportunity for one of the customers. Every lead has its assignment history, a score from the
scoring rules (made when there are none), and the calls that contacted it."""

import random
from dataclasses import dataclass
from decimal import Decimal

from customers.demo import CITIES, FEMALE, INDUSTRIES, JOB_TITLES, MALE, MOBILE_PREFIXES, ORG_WORDS, PICK_CITY, SURNAMES
from sales.demo.activities import ActivityWriter, Planned
from sales.demo.catalog_data import FAMILIES
from sales.demo.common import DAY, HOUR, Buyer, Clock, Pick, References, Seller
from sales.demo.pipeline import Deal
from sales.models import Activity, AssignmentRule, Lead, ScoringRule
from sales.services.lead_rules import score_breakdown

PICK_CHANNEL = Pick(Lead.Channel.values, [45, 40, 15])  # web form, entered by staff, imported
SOURCES = {
    Lead.Channel.WEB_FORM: ["Website", "Website", "Instagram"],
    Lead.Channel.MANUAL: ["Walk-in", "Outbound calls", "Customer referral", "Tehran trade fair"],
    Lead.Channel.IMPORT: ["Tehran trade fair", "Digikala marketplace"],
}
CAMPAIGNS = ["nowruz-sale", "summer-ac", "back-to-school", "yalda-offer"]
PICK_FRESH = Pick(["new", "contacted", "qualified"], [60, 30, 10])  # the last week
PICK_MONTH = Pick(["new", "contacted", "qualified", "disqualified"], [25, 40, 20, 15])
PICK_OLD = Pick(["new", "contacted", "qualified", "disqualified"], [5, 20, 15, 60])
REASSIGN_REASONS = ["Territory change", "Workload balance", "Speaks the customer's language", "Rep on leave"]
INTEREST_KINDS = [family.kind for family in FAMILIES if not family.fits]
# criterion, source name, province, threshold, points: a starting point a manager tunes.
SCORING_RULES = [
    (ScoringRule.Criterion.SOURCE, "Customer referral", "", None, 20),
    (ScoringRule.Criterion.SOURCE, "Tehran trade fair", "", None, 10),
    (ScoringRule.Criterion.HAS_PHONE, None, "", None, 10),
    (ScoringRule.Criterion.HAS_EMAIL, None, "", None, 5),
    (ScoringRule.Criterion.HAS_COMPANY, None, "", None, 10),
    (ScoringRule.Criterion.HAS_INTEREST, None, "", None, 5),
    (ScoringRule.Criterion.VALUE_AT_LEAST, None, "", Decimal(500_000_000), 15),
    (ScoringRule.Criterion.ACTIVITIES_AT_LEAST, None, "", Decimal(2), 10),
    (ScoringRule.Criterion.PROVINCE, None, "tehran", None, 5),
]


@dataclass
class LeadCounts:
    leads: int = 0
    converted: int = 0
    assignments: int = 0


class LeadWriter:
    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        refs: References,
        tables,
        activities: ActivityWriter,
        *,
        lead_id: int,
        rule_id: int,
        team_id: int | None,
    ) -> None:
        self.rng, self.clock, self.refs, self.tables, self.activities = rng, clock, refs, tables, activities
        self.next_id = lead_id
        self.team_id = team_id
        self.counts = LeadCounts()
        self.plans: list[Planned] = []
        self.reps = [seller for seller in refs.sellers if seller.user.username != "manager"] or refs.sellers
        self.manager = next((seller for seller in refs.sellers if seller.user.username == "manager"), None)
        self.turn = 0
        self.scoring = self._scoring_rules()
        self.rule = AssignmentRule.objects.filter(is_active=True).order_by("priority", "pk").first()
        self.new_rule_id = None if self.rule else rule_id

    def _scoring_rules(self) -> list[ScoringRule]:
        rules = list(ScoringRule.objects.filter(is_active=True).order_by("criterion", "pk"))
        if not rules:
            rules = ScoringRule.objects.bulk_create(
                [
                    ScoringRule(
                        criterion=criterion,
                        source_id=self.refs.sources.get(source) if source else None,
                        province=province,
                        threshold=threshold,
                        points=points,
                    )
                    for criterion, source, province, threshold, points in SCORING_RULES
                    if source is None or source in self.refs.sources
                ]
            )
        return rules

    @property
    def rule_id(self) -> int | None:
        return self.rule.pk if self.rule else self.new_rule_id

    def finish(self) -> None:
        """Make the round-robin rule the web-form leads were assigned by, when there was none."""
        if self.rule is not None or not self.reps:
            return
        rule = AssignmentRule.objects.bulk_create(
            [
                AssignmentRule(
                    pk=self.new_rule_id,
                    name="Sales team, round-robin",
                    method=AssignmentRule.Method.ROUND_ROBIN,
                    team_id=self.team_id,
                    last_assigned_id=self.reps[(self.turn - 1) % len(self.reps)].pk if self.turn else None,
                )
            ]
        )[0]
        AssignmentRule.users.through.objects.bulk_create(
            [AssignmentRule.users.through(assignmentrule_id=rule.pk, user_id=seller.pk) for seller in self.reps]
        )

    # --- the leads ---------------------------------------------------------------------------

    def write(self, count: int, deals: list[Deal]) -> LeadCounts:
        rng = self.rng
        if not self.refs.sellers or count <= 0:
            return self.counts
        converting = [deal for deal in deals if rng.random() < 0.45][: int(count * 0.35)]
        arrivals: list[tuple[int, Deal | None]] = [
            # An enquiry by the customer (new, or back for more) that the deal came from.
            (max(deal.created - rng.randint(HOUR, 20 * DAY), deal.buyer.created + 60), deal)
            for deal in converting
        ]
        for _ in range(count - len(arrivals)):
            day = -1 - int(rng.random() ** 1.7 * 720)
            arrivals.append((self.clock.business(rng, day), None))
        arrivals.sort(key=lambda arrival: (arrival[0], arrival[1].pk if arrival[1] else 0))
        for tick, deal in arrivals:
            self.lead(tick, deal)
        return self.counts

    def lead(self, created: int, deal: Deal | None) -> None:
        rng, clock = self.rng, self.clock
        pk = self.next_id
        self.next_id += 1
        channel = PICK_CHANNEL(rng) if deal is None else rng.choice([Lead.Channel.WEB_FORM, Lead.Channel.MANUAL])
        values = self.person(deal.buyer) if deal else self.stranger()
        source_id = deal.source_id if deal and deal.source_id else self.refs.sources.get(rng.choice(SOURCES[channel]))
        age = -created // DAY
        if deal is not None:
            status = Lead.Status.CONVERTED
        else:
            status = Lead.Status((PICK_FRESH if age <= 7 else PICK_MONTH if age <= 30 else PICK_OLD)(rng))
        owner = self.assign(pk, created, channel, deal)
        # Contacted: the calls that did it (converted and qualified leads were called too).
        calls = 0 if status == Lead.Status.NEW else rng.randint(1, 3)
        customer_id = deal.buyer.pk if deal else None
        end = max(min(deal.created if deal else created + 15 * DAY, -HOUR), created + 2 * HOUR)
        ticks = sorted(min(rng.randint(created + HOUR, end), -60) for _ in range(calls))
        for tick in ticks:
            self.activities.done(
                kind=Activity.Kind.CALL,
                subject=f"Call {values['name']}",
                tick=tick,
                seller=owner,
                lead_id=pk,
                customer_id=customer_id,
            )
        last_call = ticks[-1] if ticks else None
        if status == Lead.Status.NEW and rng.random() < 0.7:
            self.activities.planned(
                kind=Activity.Kind.CALL,
                subject=f"First call to {values['name']}",
                due=clock.next_business(created + rng.randint(2, 24) * HOUR),
                seller=owner,
                lead_id=pk,
            )
        if status in (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED):
            self.plans.append(Planned(owner, values["name"], lead_id=pk))
        values["source_id"] = source_id
        score = sum(line.points for line in score_breakdown(lead=Lead(**values), rules=self.scoring, contacts=calls))
        self.tables.leads.add(
            id=pk,
            channel=channel,
            campaign=rng.choice(CAMPAIGNS) if channel == Lead.Channel.WEB_FORM and rng.random() < 0.4 else "",
            status=status,
            disqualify_reason_id=(
                rng.choice(self.refs.disqualify_reasons) if status == Lead.Status.DISQUALIFIED else None
            ),
            score=score,
            owner_id=owner.pk,
            team_id=owner.team_id,
            assignment_rule_id=self.rule_id if channel == Lead.Channel.WEB_FORM else None,
            customer_id=customer_id,
            opportunity_id=deal.pk if deal else None,
            converted_at=clock.at(deal.created) if deal else None,
            last_contacted_at=clock.at(last_call) if last_call is not None else None,
            created_at=clock.at(created),
            updated_at=clock.at(max(created, last_call if last_call is not None else created)),
            created_by_id=None if channel == Lead.Channel.WEB_FORM else owner.pk,
            **values,
        )
        self.counts.leads += 1
        self.counts.converted += deal is not None

    def assign(self, pk: int, created: int, channel: str, deal: Deal | None) -> Seller:
        """The owner, by the round-robin rule for web-form leads, and the history of hand-overs."""
        rng = self.rng
        if deal is not None:
            owner, rule, by, reason = deal.seller, None, deal.seller, "Entered by staff"
        elif channel == Lead.Channel.WEB_FORM:
            owner = self.reps[self.turn % len(self.reps)]
            self.turn += 1
            rule, by, reason = self.rule_id, None, "Round-robin"
        else:
            owner = rng.choice(self.reps) if rng.random() < 0.9 or self.manager is None else self.manager
            rule, by, reason = None, owner, "Imported" if channel == Lead.Channel.IMPORT else "Entered by staff"
        self.assignment(pk, None, owner, rule, by, reason, created)
        others = [seller for seller in self.reps if seller is not owner]
        if deal is None and others and rng.random() < 0.1:
            moved = min(created + rng.randint(1, 10) * DAY, -HOUR)
            new_owner = rng.choice(others)
            self.assignment(pk, owner, new_owner, None, self.manager or owner, rng.choice(REASSIGN_REASONS), moved)
            owner = new_owner
        return owner

    def assignment(self, pk, from_seller, to_seller, rule_id, by, reason, tick) -> None:
        self.tables.lead_assignments.add(
            lead_id=pk,
            from_user_id=from_seller.pk if from_seller else None,
            to_user_id=to_seller.pk,
            rule_id=rule_id,
            assigned_by_id=by.pk if by else None,
            reason=reason,
            assigned_at=self.clock.at(tick),
        )
        self.counts.assignments += 1

    # --- who ---------------------------------------------------------------------------------

    def person(self, buyer: Buyer) -> dict:
        """A converted lead carries the details of the customer it became."""
        return {
            "name": buyer.name,
            "company": buyer.name if buyer.organisation else "",
            "phone": buyer.phone,
            "email": buyer.email,
            "province": buyer.province,
            "city": buyer.city,
            "interest": self.interest(),
            "estimated_value": self.value(),
        }

    def stranger(self) -> dict:
        rng = self.rng
        first = rng.choice(FEMALE if rng.random() < 0.45 else MALE)
        last = rng.choice(SURNAMES)
        script = 1 if rng.random() < 0.45 else 0
        company = ""
        if rng.random() < 0.35:
            words = rng.sample(ORG_WORDS, 2)
            company = f"{words[0][0]} {words[1][0]} {rng.choice(INDUSTRIES)[0]} Co."
        city = CITIES[PICK_CITY(rng)]
        email = ""
        if rng.random() < 0.5:
            email = f"{first[0]}.{last[0]}{rng.randrange(100)}@{rng.choice(['gmail.com', 'yahoo.com', 'chmail.ir'])}"
        return {
            "name": f"{first[script]} {last[script]}",
            "company": company,
            "job_title": rng.choice(JOB_TITLES) if company else "",
            "phone": f"+98{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}" if rng.random() < 0.9 else "",
            "email": email.lower(),
            "province": city[2],
            "city": city[0],
            "interest": self.interest() if rng.random() < 0.8 else "",
            "estimated_value": self.value() if rng.random() < 0.6 else None,
        }

    def interest(self) -> str:
        rng = self.rng
        kind = rng.choice(INTEREST_KINDS)
        return rng.choice(
            [f"Price of a {kind.lower()}", f"Quote for {rng.randint(2, 30)} × {kind.lower()}", f"{kind}: delivery time"]
        )

    def value(self) -> Decimal:
        return Decimal(self.rng.choice([20, 50, 80, 150, 300, 600, 1_200, 2_500])) * 1_000_000
