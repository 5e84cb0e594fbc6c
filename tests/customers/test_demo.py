"""The customers part of seed_demo: realistic, consistent, reproducible, and inserted in bulk."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from crm_site.messaging.phone import normalize_phone
from crm_site.models import Team, User
from crm_site.text import search_key
from customers import demo
from customers.geography import Province
from customers.models import Customer, CustomerEmail, CustomerGroup, CustomerPhone, Interaction, Source
from customers.services import build_search_text
from sales.models import Invoice, Opportunity, Order, Payment
from service.models import Ticket, WorkOrder
from tests.demo_wipe import wipe_protecting_rows

pytestmark = pytest.mark.django_db


def seed(customers: int, seed: int = 1) -> str:
    out = StringIO()
    call_command("seed_demo", customers=customers, seed=seed, stdout=out)
    return out.getvalue()


def wipe() -> None:
    # seed_demo's sales part gives the customers orders, invoices and deals, and its service part
    # tickets (with their work orders), which protect them.
    wipe_protecting_rows()
    for model in (Payment, Invoice, Order, Opportunity, Ticket):
        model.objects.all().delete()
    Customer.objects.all().delete()
    User.objects.all().delete()
    Team.objects.all().delete()


def snapshot() -> list[tuple]:
    return list(Customer.objects.order_by("code").values_list("code", "name", "phone", "city", "status", "email"))


def test_it_creates_the_customers_with_contacts_groups_and_a_timeline():
    output = seed(300, seed=5)

    customers = Customer.objects.all()
    assert customers.count() == 300
    assert "Customers: 300" in output
    assert not customers.filter(phone="").exists()
    assert CustomerPhone.objects.filter(is_primary=True).count() == 300
    assert CustomerPhone.objects.count() > 300  # some have a second number
    assert CustomerEmail.objects.count() > 100
    assert Interaction.objects.count() >= 600  # a few timeline entries each on average
    longest = customers.annotate(entries=Count("interactions")).order_by("-entries").first()
    assert longest.interactions.count() >= 60  # a key account with a long history
    kinds = Counter(customers.values_list("kind", flat=True))
    assert 0.05 < kinds["organisation"] / 300 < 0.3
    assert customers.filter(organisation__isnull=False).exists()  # contact people of organisations
    assert Source.objects.count() >= 5
    assert Customer.groups.through.objects.count() > 50
    assert Customer.tags.through.objects.count() > 50


def test_codes_contacts_and_derived_columns_are_consistent():
    seed(300, seed=5)

    phones: dict[int, list[str]] = {}
    for customer_id, number in CustomerPhone.objects.order_by("-is_primary", "id").values_list("customer_id", "number"):
        phones.setdefault(customer_id, []).append(number)
    emails: dict[int, list[str]] = {}
    for customer_id, address in CustomerEmail.objects.order_by("-is_primary", "id").values_list(
        "customer_id", "address"
    ):
        emails.setdefault(customer_id, []).append(address)
    provinces = set(Province.values)
    for customer in Customer.objects.select_related("owner"):
        assert customer.code == f"C{customer.pk:06d}"
        assert customer.phone == phones[customer.pk][0]
        assert customer.email == (emails[customer.pk][0] if customer.pk in emails else "")
        assert customer.name_key == search_key(customer.name)
        assert customer.search_text == build_search_text(
            name=customer.name, code=customer.code, phones=phones[customer.pk], emails=emails.get(customer.pk, [])
        )
        assert customer.province in provinces
        assert customer.city
        if customer.owner:
            assert customer.team_id == customer.owner.team_id
            assert customer.owner.username in {"sales1", "sales2", "manager"}
        if customer.sms_consent:
            assert customer.sms_consent_at >= customer.created_at
            assert customer.sms_consent_method
        if customer.kind == Customer.Kind.PERSON and customer.organisation_id is None:
            assert customer.name == f"{customer.first_name} {customer.last_name}"
    for number in CustomerPhone.objects.values_list("number", flat=True):
        assert normalize_phone(number) == number  # valid Iranian numbers, already in E.164


def test_history_spreads_over_the_last_three_years():
    seed(300, seed=5)

    now = timezone.now()
    created = list(Customer.objects.order_by("pk").values_list("created_at", flat=True))
    assert all(timezone.is_aware(moment) for moment in created)
    assert created == sorted(created)  # codes follow the date of acquisition
    assert max(created) < now
    assert min(created) < now - timedelta(days=365)
    assert min(created) > now - timedelta(days=3 * 366 + 1)
    first_entries = Interaction.objects.filter(customer_id__in=[c.pk for c in Customer.objects.all()[:50]])
    for entry in first_entries.select_related("customer"):
        assert entry.customer.created_at <= entry.occurred_at <= now


def test_groups_form_a_hierarchy_with_consistent_paths():
    seed(300, seed=5)

    groups = {group.pk: group for group in CustomerGroup.objects.all()}
    assert any(group.depth == 2 for group in groups.values())  # e.g. Wholesale > Tehran > Key accounts
    for group in groups.values():
        parent = groups.get(group.parent_id)
        expected = f"{parent.path if parent else ''}{group.pk}/"
        assert group.path == expected
        assert group.depth == (parent.depth + 1 if parent else 0)


def test_it_makes_a_few_duplicates_on_purpose():
    output = seed(300, seed=5)

    assert "duplicates on purpose" in output
    shared_phones = (
        CustomerPhone.objects.values("number").annotate(customers=Count("customer", distinct=True)).filter(customers=2)
    )
    assert shared_phones.exists()
    number = shared_phones[0]["number"]
    names = set(Customer.objects.filter(phones__number=number).values_list("name", flat=True))
    assert len(names) == 2  # the same mobile under another spelling of the name
    same_name_and_city = (
        Customer.objects.values("name_key", "city").annotate(customers=Count("pk")).filter(customers__gte=2)
    )
    assert same_name_and_city.exists()


def test_the_same_seed_gives_the_same_customers_and_another_seed_does_not():
    seed(300, seed=5)
    first = snapshot()
    wipe()
    seed(300, seed=5)
    again = snapshot()
    wipe()
    seed(300, seed=6)
    other = snapshot()

    assert again == first
    assert [row[1:] for row in other] != [row[1:] for row in first]


def test_seeding_twice_into_a_database_with_customers_keeps_codes_unique():
    # seed_demo only refuses when the demo users exist; a second run next to the first one's
    # customers must neither clash on codes nor on the named lists (sources, groups, tags).
    seed(60, seed=1)
    wipe_protecting_rows()
    WorkOrder.objects.all().delete()  # the service part's work orders protect the contractor
    User.objects.all().delete()
    Team.objects.all().delete()

    seed(60, seed=2)

    assert Customer.objects.count() == 120
    assert Customer.objects.values("code").distinct().count() == 120
    assert CustomerGroup.objects.filter(parent__isnull=True, name="Wholesale").count() == 1


@pytest.mark.parametrize("customers", [100, 400])
def test_it_inserts_in_bulk(customers, django_assert_max_num_queries):
    # The same fixed number of queries for 100 or 400 customers: nothing is saved row by row
    # (about 35 for the users and customers, 50 for the sales part, 25 for the service part, 230
    # for the marketing part, whose segments and rules go through their services, and 85 for the
    # analytics computation, a fixed number of set-based steps).
    with django_assert_max_num_queries(440):
        seed(customers, seed=3)
    assert Customer.objects.count() == customers


def test_customers_created_after_the_seed_get_the_next_id_and_code():
    # The seed gives ids itself; PostgreSQL's sequence must have moved past them.
    from customers.services import customer_create

    seed(50, seed=1)
    last = Customer.objects.order_by("-pk").first()

    rep = User.objects.get(username="sales1")
    customer = customer_create(created_by=rep, kind="person", first_name="Neda", phones=["09121234567"])

    assert customer.pk == last.pk + 1
    assert customer.code == f"C{customer.pk:06d}"


# --- PostgreSQL's COPY path ---------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY ... FROM STDIN is PostgreSQL's; SQLite inserts."
)

# What a CSV or COPY text writer can get wrong: delimiters, quotes, line breaks, backslashes
# (and what they mean to COPY: \N is NULL, \. ends the data), and Persian with its ZWNJ.
AWKWARD_TEXT = [
    "commas, \"double quotes\" and 'single' ones",
    "two\nlines\r\nand a CR\r",
    "a\ttab and a trailing tab\t",
    "back\\slash, \\N, \\t and \\\\ two",
    "\\N",
    "\\.",
    "before\n\\.\nafter",
    "NULL",
    "تهران، خیابان ولیعصر، پلاک ۱۲ — «نیک\u200cپور»",
    "",
]


def test_copy_text_escapes_what_copy_reads_specially():
    assert demo.copy_text("plain") == "plain"
    assert demo.copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert demo.copy_text("\\N") == "\\\\N"  # not the NULL marker
    assert demo.copy_text(12) == "12"
    assert demo.copy_text(Customer.Kind.PERSON) == "person"


@postgresql_only
def test_copy_writes_awkward_values_as_they_are():
    tables = demo._Tables()
    assert isinstance(tables.customers, demo._CopyTable)
    tehran = ZoneInfo("Asia/Tehran")
    first_id = 900_001
    expected = {}
    for offset, text in enumerate(AWKWARD_TEXT):
        pk = first_id + offset
        created = datetime(2025, 3, 21, 9, 30, 15, 123_456 * (offset % 2), tzinfo=tehran) + timedelta(days=offset)
        values = {
            "id": pk,
            "code": f"C{pk:06d}",
            "name": text,
            "address": text,
            "notes": text,
            "attributes": {"note": text, "list": [1, 2.5, None, True, "a\tb"], "nested": {"شهر": "تهران"}},
            "acquisition_cost": [Decimal("1234567.89"), Decimal("1E+6"), Decimal("0.5")][offset % 3],
            "sms_consent": offset % 2 == 0,
            "sms_consent_at": created if offset % 2 == 0 else None,
            "birth_date": date(1990, 3, 21) if offset % 2 else None,
            "household_size": offset or None,
            "created_at": created,
            "updated_at": created.astimezone(UTC),
        }
        tables.customers.add(**values)
        tables.interactions.add(customer_id=pk, kind="note", occurred_at=created, created_at=created, body=text)
        expected[pk] = values
    tables.flush()

    for customer in Customer.objects.filter(pk__in=expected):
        values = expected[customer.pk]
        for name, value in values.items():
            assert getattr(customer, name) == value, name
        assert customer.region == ""  # not given: the field's default, not NULL
        assert customer.organisation_id is None
        assert customer.email_consent is False
    assert Customer.objects.filter(pk__in=expected).count() == len(AWKWARD_TEXT)
    assert Customer.objects.get(pk=first_id + 1).acquisition_cost == Decimal("1000000.00")
    bodies = dict(Interaction.objects.filter(customer_id__in=expected).values_list("customer_id", "body"))
    assert bodies == {pk: values["notes"] for pk, values in expected.items()}


@postgresql_only
def test_copy_runs_inside_the_callers_transaction():
    table = demo._CopyTable(Customer, with_pk=True)
    now = timezone.now()
    table.add(id=900_100, code="C900100", name="Rolled back", created_at=now, updated_at=now)
    with pytest.raises(RuntimeError), transaction.atomic():
        table.flush()
        assert Customer.objects.filter(pk=900_100).exists()
        raise RuntimeError

    assert not Customer.objects.filter(pk=900_100).exists()


def full_snapshot() -> dict[str, list[tuple]]:
    """Every column the demo writes, with users and teams by name (their ids change on a re-seed)."""
    customer_columns = [
        field.attname
        for field in Customer._meta.concrete_fields
        if field.attname not in {"id", "owner_id", "created_by_id", "team_id", "organisation_id"}
    ]
    return {
        "customers": list(
            Customer.objects.order_by("pk").values_list(
                *customer_columns, "owner__username", "created_by__username", "team__name", "organisation__code"
            )
        ),
        "phones": list(
            CustomerPhone.objects.order_by("pk").values_list("customer__code", "number", "label", "is_primary")
        ),
        "emails": list(CustomerEmail.objects.order_by("pk").values_list("customer__code", "address", "is_primary")),
        "groups": list(Customer.groups.through.objects.order_by("pk").values_list("customer__code", "customergroup")),
        "tags": list(Customer.tags.through.objects.order_by("pk").values_list("customer__code", "tag")),
        "interests": list(Customer.interests.through.objects.order_by("pk").values_list("customer__code", "interest")),
        # The timeline as the customers, sales and service parts write it (marketing's campaign and
        # automation entries are written by its own bulk writer, not by the path compared here).
        "interactions": list(
            Interaction.objects.exclude(kind__in=[Interaction.Kind.CAMPAIGN, Interaction.Kind.SYSTEM])
            .order_by("pk")
            .values_list(
                "customer__code", "kind", "occurred_at", "user__username", "subject", "body", "direction",
                "duration_seconds", "outcome", "created_at",
            )
        ),
    }  # fmt: skip


@postgresql_only
def test_copy_writes_the_same_data_as_inserts(monkeypatch):
    seed(200, seed=7)
    copied = full_snapshot()
    wipe()
    monkeypatch.setattr(demo, "_table", demo._Table)  # the INSERT path
    seed(200, seed=7)

    assert full_snapshot() == copied
    assert len(copied["interactions"]) > 200
