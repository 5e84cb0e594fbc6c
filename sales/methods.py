"""Selling methods: the steps and questions a rep is guided through on an opportunity.

Each method is declared here, not in the database: its steps are what the method *is*, and a
change of wording is a code change reviewed like any other. The answers live in
``Opportunity.playbook`` as ``{method: {step: {field: answer}}}``, so a rep who switches method
and back finds their answers again.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# A generous limit for one answer: a playbook is notes, not documents.
MAX_ANSWER_LENGTH = 2000


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    help_text: str = ""


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    description: str
    questions: tuple[Question, ...] = ()
    # Target Account Selling's map of the people who decide, kept in BuyingRole rows.
    uses_buying_roles: bool = False


@dataclass(frozen=True)
class Method:
    key: str
    name: str
    summary: str
    steps: tuple[Step, ...]

    def step(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)


SPIN = Method(
    key="spin",
    name=_("SPIN selling"),
    summary=_("Ask, in order, about the situation, its problems, their implications and the pay-off of solving them."),
    steps=(
        Step(
            "situation",
            _("Situation"),
            _("Facts about the buyer's current situation."),
            (
                Question("current_setup", _("What do they use today?"), _("Products, suppliers, processes.")),
                Question("who_decides", _("Who is involved?"), _("Departments and people who use or buy.")),
            ),
        ),
        Step(
            "problem",
            _("Problem"),
            _("Difficulties and dissatisfactions the buyer has with the situation."),
            (
                Question("pain_points", _("What is not working?"), _("In the buyer's words.")),
                Question("since_when", _("Since when, and how often?")),
            ),
        ),
        Step(
            "implication",
            _("Implication"),
            _("The consequences of the problems, which make them urgent."),
            (
                Question("consequences", _("What does the problem cost them?"), _("Time, money, customers, risk.")),
                Question("if_nothing_changes", _("What happens if nothing changes?")),
            ),
        ),
        Step(
            "need_payoff",
            _("Need-payoff"),
            _("The value of solving the problem, said by the buyer."),
            (
                Question("value", _("What would solving it be worth to them?")),
                Question("success_looks_like", _("How will they know it worked?")),
            ),
        ),
    ),
)

TAS = Method(
    key="tas",
    name=_("Target Account Selling"),
    summary=_("Map who decides and where they stand, why the account must act, who we compete with, and our value."),
    steps=(
        Step(
            "buying_roles",
            _("Buying roles"),
            _("The people in the decision: economic, technical and user buyers, and a coach, with their stance."),
            uses_buying_roles=True,
        ),
        Step(
            "compelling_event",
            _("Compelling event"),
            _("Why the account must decide, and by when."),
            (
                Question("event", _("What forces a decision?"), _("A deadline, a regulation, a broken system...")),
                Question("deadline", _("By when?")),
            ),
        ),
        Step(
            "competition",
            _("Competition"),
            _("Who else they consider, including doing nothing."),
            (
                Question("competitors", _("Who are we up against?")),
                Question("our_edge", _("Where are we stronger?")),
            ),
        ),
        Step(
            "value",
            _("Value"),
            _("The business value we bring, in the account's terms."),
            (
                Question("business_value", _("What value do we bring?"), _("Measured the way the account measures.")),
                Question("proof", _("What proves it?"), _("References, a pilot, figures.")),
            ),
        ),
    ),
)

RADAR = Method(
    key="radar",
    name=_("RADAR"),
    summary=_("Research, Approach, Discover/Diagnose, Assess/Advise, Resolve/Recommend."),
    steps=(
        Step(
            "research",
            _("Research"),
            _("Learn about the account before contacting it."),
            (Question("findings", _("What do we know about them?"), _("Business, news, past purchases.")),),
        ),
        Step(
            "approach",
            _("Approach"),
            _("How we open the conversation, and with whom."),
            (Question("opening", _("Who do we contact, and with what reason?")),),
        ),
        Step(
            "discover",
            _("Discover / Diagnose"),
            _("Find the needs behind the request."),
            (
                Question("needs", _("What do they need?")),
                Question("root_cause", _("What is behind it?")),
            ),
        ),
        Step(
            "assess",
            _("Assess / Advise"),
            _("Judge the fit and advise the buyer."),
            (
                Question("fit", _("How well do we fit?")),
                Question("advice", _("What do we advise?")),
            ),
        ),
        Step(
            "resolve",
            _("Resolve / Recommend"),
            _("Recommend a solution and agree the next step."),
            (
                Question("recommendation", _("What do we recommend?")),
                Question("agreed_next_step", _("What was agreed?")),
            ),
        ),
    ),
)

METHODS: dict[str, Method] = {method.key: method for method in (SPIN, TAS, RADAR)}


def method_get(key: str) -> Method | None:
    return METHODS.get(key or "")


def step_answers(playbook: dict, method: Method, step: Step) -> dict[str, str]:
    answers = (playbook or {}).get(method.key, {}).get(step.key, {})
    return answers if isinstance(answers, dict) else {}


def step_is_answered(playbook: dict, method: Method, step: Step, *, buying_role_count: int = 0) -> bool:
    if step.uses_buying_roles:
        return buying_role_count > 0
    return any(str(value).strip() for value in step_answers(playbook, method, step).values())


def clean_step_answers(method: Method, step_key: str, answers: dict) -> dict[str, str]:
    """The answers of one step, trimmed and checked against the step's questions: an unknown
    step or question is refused rather than silently stored."""
    step = method.step(step_key)
    if step is None or step.uses_buying_roles:
        raise ValidationError(gettext("%(method)s has no such step.") % {"method": method.name})
    known = {question.key for question in step.questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError(gettext("Unknown questions: %(keys)s.") % {"keys": ", ".join(unknown)})
    cleaned = {}
    errors = {}
    for key, value in answers.items():
        if not isinstance(value, str):
            errors[key] = gettext("An answer must be text.")
            continue
        value = value.strip()
        if len(value) > MAX_ANSWER_LENGTH:
            errors[key] = gettext("Keep it under %(limit)d characters.") % {"limit": MAX_ANSWER_LENGTH}
        elif value:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
