"""The catalogue of what a segment condition can test: one declarative table of fields.

A condition is ``{"field": <name>, "op": <operator>, "value": ...}``, plus ``"days": N`` for the
behaviour fields that take a window ("orders in the last N days"). Each field declares its
section (the customer file, behaviour, or the analytics figures), its kind, the operators it
allows and the type of its value; validation (``validation.py``), compilation
(``compiler.py``), the sentence on the detail page (``words.py``) and the form builder's JSON
all read this table, so adding a field is one row here plus, for a new kind, one compile rule.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from customers.geography import Province
from customers.models import Customer, CustomerStats

# --- operators -----------------------------------------------------------------------------------

# What each operator's value is: a list of the field's values, one value of the field's type,
# a date, a number of days, or nothing.
LIST, SCALAR, DATE, DAYS, NOTHING = "list", "scalar", "date", "days", "nothing"


@dataclass(frozen=True)
class Operator:
    label: Promise
    value: str


OPERATORS: dict[str, Operator] = {
    "in": Operator(_("is any of"), LIST),
    "not_in": Operator(_("is none of"), LIST),
    "all": Operator(_("has all of"), LIST),
    "eq": Operator(_("is"), SCALAR),
    "neq": Operator(_("is not"), SCALAR),
    "contains": Operator(_("contains"), SCALAR),
    "not_contains": Operator(_("does not contain"), SCALAR),
    "gte": Operator(_("at least"), SCALAR),
    "lte": Operator(_("at most"), SCALAR),
    "lt": Operator(_("below"), SCALAR),
    "before": Operator(_("before"), DATE),
    "after": Operator(_("on or after"), DATE),
    "within_days": Operator(_("in the last N days"), DAYS),
    "over_days": Operator(_("more than N days ago"), DAYS),
    "empty": Operator(_("is not filled in"), NOTHING),
    "not_empty": Operator(_("is filled in"), NOTHING),
    "yes": Operator(_("yes"), NOTHING),
    "no": Operator(_("no"), NOTHING),
    "never": Operator(_("never"), NOTHING),
}

# --- fields --------------------------------------------------------------------------------------

CUSTOMER, BEHAVIOUR, FIGURES = "customer", "behaviour", "figures"
SECTIONS = {
    CUSTOMER: _("Customer file"),
    BEHAVIOUR: _("Behaviour"),
    FIGURES: _("Figures (analytics)"),
}

# Value types of one value: a key of ``choices``, a row id of ``model``, or a plain value.
CHOICE, ID, TEXT, INT, DECIMAL, FLOAT = "choice", "id", "text", "int", "decimal", "float"

CHOICE_OPS = ("in", "not_in")
OPTIONAL_CHOICE_OPS = ("in", "not_in", "empty", "not_empty")
TEXT_OPS = ("eq", "neq", "contains", "not_contains", "empty", "not_empty")
NUMBER_OPS = ("gte", "lte")
DATE_OPS = ("before", "after", "within_days", "over_days")
BOOL_OPS = ("yes", "no")
EMPTY_OPS = ("empty", "not_empty")


@dataclass(frozen=True)
class Field:
    """One thing a condition can test.

    ``kind`` selects the compile rule (see ``compiler.COMPILERS``); ``column`` is the database
    column (or relation) it reads where the kind needs one; ``value_type`` is the type of one
    value; ``choices`` (for CHOICE values) or ``model`` (for ID values, ``"app.Model"``) lists
    what a value may be; ``window`` allows ``"days"`` on the condition; ``op_labels`` rewords operators for this field.
    """

    name: str
    label: Promise
    section: str
    kind: str
    ops: tuple[str, ...]
    value_type: str = TEXT
    column: str = ""
    choices: tuple = ()
    model: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    window: bool = False
    op_labels: dict = field(default_factory=dict)
    help: Promise | str = ""


def _choices(text_choices) -> tuple:
    return tuple(text_choices.choices)


FIELDS: tuple[Field, ...] = (
    # The customer file.
    Field(
        "group",
        _("Group (with its sub-groups)"),
        CUSTOMER,
        "tree_m2m",
        ("in", "not_in"),
        ID,
        column="groups",
        model="customers.CustomerGroup",
        op_labels={"in": _("is in any of"), "not_in": _("is in none of")},
    ),
    Field(
        "tags",
        _("Tags"),
        CUSTOMER,
        "m2m",
        ("in", "all", "not_in"),
        ID,
        column="tags",
        model="customers.Tag",
        op_labels={"in": _("has any of"), "not_in": _("has none of")},
    ),
    Field(
        "interests",
        _("Interests"),
        CUSTOMER,
        "m2m",
        ("in", "all", "not_in"),
        ID,
        column="interests",
        model="customers.Interest",
        op_labels={"in": _("has any of"), "not_in": _("has none of")},
    ),
    Field("province", _("Province"), CUSTOMER, "column", OPTIONAL_CHOICE_OPS, CHOICE, "province", _choices(Province)),
    Field("city", _("City"), CUSTOMER, "column", TEXT_OPS, TEXT, "city"),
    Field("kind", _("Person or organisation"), CUSTOMER, "column", CHOICE_OPS, CHOICE, "kind", _choices(Customer.Kind)),
    Field("status", _("Status"), CUSTOMER, "column", CHOICE_OPS, CHOICE, "status", _choices(Customer.Status)),
    Field(
        "source",
        _("Source"),
        CUSTOMER,
        "column",
        OPTIONAL_CHOICE_OPS,
        ID,
        column="source",
        model="customers.Source",
    ),
    Field("gender", _("Gender"), CUSTOMER, "column", OPTIONAL_CHOICE_OPS, CHOICE, "gender", _choices(Customer.Gender)),
    Field("age", _("Age (years)"), CUSTOMER, "age", NUMBER_OPS, INT, "birth_date", minimum=0, maximum=130),
    Field(
        "birth_date",
        _("Birth date"),
        CUSTOMER,
        "column",
        ("before", "after", "empty", "not_empty"),
        column="birth_date",
    ),
    Field(
        "marital_status",
        _("Marital status"),
        CUSTOMER,
        "column",
        OPTIONAL_CHOICE_OPS,
        CHOICE,
        "marital_status",
        _choices(Customer.MaritalStatus),
    ),
    Field(
        "education",
        _("Education"),
        CUSTOMER,
        "column",
        OPTIONAL_CHOICE_OPS,
        CHOICE,
        "education",
        _choices(Customer.Education),
    ),
    Field(
        "income_band",
        _("Income band"),
        CUSTOMER,
        "column",
        OPTIONAL_CHOICE_OPS,
        CHOICE,
        "income_band",
        _choices(Customer.IncomeBand),
    ),
    Field(
        "household_size",
        _("Household size"),
        CUSTOMER,
        "column",
        ("gte", "lte", "empty", "not_empty"),
        INT,
        "household_size",
        minimum=0,
        maximum=100,
    ),
    Field("lifestyle", _("Lifestyle"), CUSTOMER, "column", TEXT_OPS, TEXT, "lifestyle"),
    Field("sms_consent", _("Agrees to marketing SMS"), CUSTOMER, "column", BOOL_OPS, column="sms_consent"),
    Field("email_consent", _("Agrees to marketing email"), CUSTOMER, "column", BOOL_OPS, column="email_consent"),
    Field("created", _("Created"), CUSTOMER, "column", DATE_OPS, column="created_at"),
    Field(
        "owner",
        _("Owner"),
        CUSTOMER,
        "column",
        OPTIONAL_CHOICE_OPS,
        ID,
        column="owner",
        model="crm_site.User",
    ),
    Field("team", _("Team"), CUSTOMER, "column", OPTIONAL_CHOICE_OPS, ID, column="team", model="crm_site.Team"),
    # Behaviour: what the customer did, from sales and service.
    Field(
        "orders_count",
        _("Number of orders"),
        BEHAVIOUR,
        "orders_count",
        NUMBER_OPS,
        INT,
        minimum=0,
        maximum=100000,
        window=True,
        help=_("Confirmed and delivered orders; leave the days empty for all time."),
    ),
    Field(
        "total_spent",
        _("Total spent"),
        BEHAVIOUR,
        "total_spent",
        NUMBER_OPS,
        DECIMAL,
        minimum=0,
        window=True,
        help=_("Sum of confirmed and delivered orders; leave the days empty for all time."),
    ),
    Field(
        "last_purchase",
        _("Last purchase"),
        BEHAVIOUR,
        "last_purchase",
        ("within_days", "over_days", "before", "after", "never"),
    ),
    Field(
        "bought_product",
        _("Bought product"),
        BEHAVIOUR,
        "bought",
        ("in", "not_in"),
        ID,
        column="product",
        model="sales.Product",
        window=True,
        op_labels={"in": _("bought any of"), "not_in": _("bought none of")},
    ),
    Field(
        "bought_category",
        _("Bought in category (with sub-categories)"),
        BEHAVIOUR,
        "bought",
        ("in", "not_in"),
        ID,
        column="category",
        model="sales.ProductCategory",
        window=True,
        op_labels={"in": _("bought in any of"), "not_in": _("bought in none of")},
    ),
    Field(
        "open_complaint",
        _("Has an open complaint"),
        BEHAVIOUR,
        "open_complaint",
        BOOL_OPS,
    ),
    Field(
        "last_csat",
        _("Last satisfaction score (1–5)"),
        BEHAVIOUR,
        "last_csat",
        ("lt", "gte"),
        INT,
        minimum=1,
        maximum=5,
    ),
    # The figures analytics computes (CustomerStats); a customer without figures matches none.
    Field(
        "rfm_segment",
        _("RFM segment"),
        FIGURES,
        "stats",
        CHOICE_OPS,
        CHOICE,
        "rfm_segment",
        _choices(CustomerStats.RfmSegment),
    ),
    Field(
        "pareto_class",
        _("Pareto class"),
        FIGURES,
        "stats",
        CHOICE_OPS,
        CHOICE,
        "pareto_class",
        _choices(CustomerStats.ParetoClass),
    ),
    Field("clv_historic", _("Historic lifetime value"), FIGURES, "stats", NUMBER_OPS, DECIMAL, "clv_historic"),
    Field("clv_predicted", _("Predicted lifetime value"), FIGURES, "stats", NUMBER_OPS, DECIMAL, "clv_predicted"),
    Field(
        "churn_risk",
        _("Churn risk (0–1)"),
        FIGURES,
        "stats",
        NUMBER_OPS,
        FLOAT,
        "churn_risk",
        minimum=Decimal(0),
        maximum=Decimal(1),
    ),
    Field(
        "p_alive",
        _("Probability still active (0–1)"),
        FIGURES,
        "stats",
        NUMBER_OPS,
        FLOAT,
        "p_alive",
        minimum=Decimal(0),
        maximum=Decimal(1),
    ),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


def op_label(field_def: Field, op: str) -> str:
    return str(field_def.op_labels.get(op) or OPERATORS[op].label)
