"""The customers part of seed_demo: realistic, consistent, reproducible, and inserted in bulk."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from crm_site.messaging.phone import normalize_phone
from crm_site.models import Team, User
from crm_site.text import search_key
from customers.geography import Province
from customers.models import Customer, CustomerEmail, CustomerGroup, CustomerPhone, Interaction, Source
from customers.services import build_search_text

pytestmark = pytest.mark.django_db


def seed(customers: int, seed: int = 1) -> str:
    out = StringIO()
    call_command("seed_demo", customers=customers, seed=seed, stdout=out)
    return out.getvalue()


def wipe() -> None:
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
    User.objects.all().delete()
    Team.objects.all().delete()

    seed(60, seed=2)

    assert Customer.objects.count() == 120
    assert Customer.objects.values("code").distinct().count() == 120
    assert CustomerGroup.objects.filter(parent__isnull=True, name="Wholesale").count() == 1


@pytest.mark.parametrize("customers", [100, 400])
def test_it_inserts_in_bulk(customers, django_assert_max_num_queries):
    # The same fixed number of queries for 100 or 400 customers: nothing is saved row by row.
    with django_assert_max_num_queries(60):
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
