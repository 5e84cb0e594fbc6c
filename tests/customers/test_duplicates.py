"""Likely duplicates: the check before saving (find_duplicates) and the duplicates report."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import normalize_address
from crm_site.models import Channel
from customers.duplicates import find_duplicates, name_similarity
from customers.views.duplicates import PAGE_SIZE, duplicate_pairs_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("customers:duplicates")


def pair_ids(pairs):
    return {(pair.first_id, pair.second_id): pair.kinds for pair in pairs}


def ordered(a, b):
    return (min(a.pk, b.pk), max(a.pk, b.pk))


# --- find_duplicates (the check on create, edit and import) -------------------------------------


def test_the_same_phone_typed_another_way_is_flagged():
    existing = CustomerFactory(phones=["+989121234567"])
    for typed in ("0912 123 4567", "۰۹۱۲۱۲۳۴۵۶۷", "0098 912 123 4567"):
        found = find_duplicates(phones=[normalize_phone(typed)])
        assert [candidate.customer for candidate in found] == [existing], typed
        assert "+989121234567" in found[0].reasons[0]


def test_the_same_email_in_another_case_is_flagged():
    existing = CustomerFactory(emails=["sara@example.com"])
    found = find_duplicates(emails=[normalize_address(channel=Channel.EMAIL, address=" Sara@Example.COM ")])
    assert [candidate.customer for candidate in found] == [existing]


def test_a_similar_name_is_flagged_in_the_same_city_only():
    existing = CustomerFactory(name="Ali Rezaei", city="Tehran")
    assert name_similarity("Ali Rezaei", "Ali Rezaee") >= 0.85
    found = find_duplicates(name="Ali Rezaee", city="tehran")
    assert [candidate.customer for candidate in found] == [existing]
    assert find_duplicates(name="Ali Rezaee", city="Shiraz") == []
    assert find_duplicates(name="Mina Jafari", city="Tehran") == []


def test_the_customer_being_edited_is_not_its_own_duplicate():
    existing = CustomerFactory(phones=["+989121234567"])
    assert find_duplicates(phones=["+989121234567"], exclude_id=existing.pk) == []


# --- the report -------------------------------------------------------------------------------


def test_the_report_finds_pairs_by_phone_email_and_name_in_the_same_city(admin, client_for):
    by_phone = (
        CustomerFactory(name="Hamid Noori", phones=["+989121111111"]),
        CustomerFactory(name="H. Noori", phones=["+989121111111"]),
    )
    by_email = (
        CustomerFactory(name="Nika Co", emails=["nika@example.com"]),
        CustomerFactory(name="Nika Company", emails=["NIKA@example.com"]),
    )
    by_name = CustomerFactory(name="Sara Karimi", city="Isfahan"), CustomerFactory(name="sara  karimi", city="isfahan")
    elsewhere = CustomerFactory(name="Sara Karimi", city="Tabriz")
    both = (
        CustomerFactory(name="Omid Roshan", city="Tehran", phones=["+989125555555"]),
        CustomerFactory(name="Omid Roshan", city="Tehran", phones=["+989125555555"]),
    )

    pairs = pair_ids(duplicate_pairs_for(user=admin))

    assert pairs[ordered(*by_phone)] == {"phone"}
    assert pairs[ordered(*by_email)] == {"email"}
    assert pairs[ordered(*by_name)] == {"name"}
    assert pairs[ordered(*both)] == {"phone", "name"}
    assert not any(elsewhere.pk in key for key in pairs)
    assert len(pairs) == 4
    assert next(iter(pairs)) == ordered(*both)  # two reasons rank first

    response = client_for(admin).get(REPORT)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="duplicate-pair"') == 4
    assert "Same phone +989121111111" in page and "Same email nika@example.com" in page
    assert "Same name in Isfahan" in page
    first, second = by_phone
    assert reverse("customers:merge", args=[first.pk, second.pk]) in page
    assert reverse("customers:detail", args=[first.pk]) in page


def test_the_report_filters_by_reason(admin, client_for):
    CustomerFactory(phones=["+989121111111"]), CustomerFactory(phones=["+989121111111"])
    CustomerFactory(emails=["a@example.com"]), CustomerFactory(emails=["a@example.com"])
    response = client_for(admin).get(REPORT, {"reason": "email"})
    assert response.content.decode().count('data-testid="duplicate-pair"') == 1
    assert [pair.kinds for pair in response.context["pairs"]] == [{"email"}]


def test_a_rep_sees_only_pairs_among_their_own_customers(rep, rep2, client_for):
    mine = CustomerFactory(owner=rep, phones=["+989121111111"]), CustomerFactory(owner=rep, phones=["+989121111111"])
    CustomerFactory(owner=rep, phones=["+989122222222"])
    CustomerFactory(owner=rep2, phones=["+989122222222"])  # a pair across owners: not shown to rep
    CustomerFactory(owner=rep2, emails=["x@example.com"]), CustomerFactory(owner=rep2, emails=["x@example.com"])

    assert set(pair_ids(duplicate_pairs_for(user=rep))) == {ordered(*mine)}
    response = client_for(rep).get(REPORT)
    assert response.status_code == 200
    assert [(pair.first_id, pair.second_id) for pair in response.context["pairs"]] == [ordered(*mine)]
    assert response.context["pairs"][0].can_merge


def test_roles_that_cannot_change_customers_see_pairs_without_a_merge_link(marketer, rep, client_for):
    first = CustomerFactory(owner=rep, phones=["+989121111111"])
    second = CustomerFactory(owner=rep, phones=["+989121111111"])
    page = client_for(marketer).get(REPORT).content.decode()
    assert 'data-testid="duplicate-pair"' in page
    assert reverse("customers:merge", args=[first.pk, second.pk]) not in page


def test_a_number_shared_by_many_customers_is_not_a_duplicate(admin):
    for _index in range(12):
        CustomerFactory(phones=["+982188888888"])  # a switchboard
    assert duplicate_pairs_for(user=admin) == []


def test_the_contractor_cannot_open_the_report(contractor, client_for):
    assert client_for(contractor).get(REPORT).status_code == 403


def test_the_report_is_empty_when_there_are_no_duplicates(rep, client_for):
    CustomerFactory(owner=rep, phones=["+989121111111"])
    response = client_for(rep).get(REPORT)
    assert response.status_code == 200
    assert "No likely duplicates" in response.content.decode()


def _make_pairs(count: int, owner, start: int) -> None:
    for index in range(start, start + count):
        number = f"+98912{index:07d}"
        CustomerFactory(owner=owner, phones=[number], emails=[f"c{index}@example.com"], name=f"Dup {index}")
        CustomerFactory(owner=owner, phones=[number], emails=[f"c{index}@example.com"], name=f"Dup {index}")


@pytest.mark.parametrize("persona", ["admin", "manager", "rep", "marketer"])
def test_the_report_query_count_does_not_grow_with_the_pairs(persona, personas, client_for):
    user = personas[persona]
    owner = personas["rep"]
    client = client_for(user)
    _make_pairs(2, owner, start=1000)
    client.get(REPORT)  # warm up the session and per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(REPORT).status_code == 200
    _make_pairs(PAGE_SIZE + 5, owner, start=2000)
    with CaptureQueriesContext(connection) as many:
        response = client.get(REPORT)
    assert len(response.context["pairs"]) == PAGE_SIZE
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as second_page:
        assert len(client.get(REPORT, {"page": 2}).context["pairs"]) == 7
    assert len(second_page) == len(few)


def test_the_report_query_count_is_small(rep, client_for, django_assert_max_num_queries):
    _make_pairs(5, rep, start=3000)
    client = client_for(rep)
    with django_assert_max_num_queries(10):
        client.get(REPORT)
