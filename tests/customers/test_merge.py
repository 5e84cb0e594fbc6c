"""Merging a duplicate customer into a survivor: nothing lost, one transaction, audited, scoped."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from crm_site.models import OutboxMessage
from customers.merge import (
    MergeRefused,
    Outcome,
    customer_merge,
    merge_preview,
    register_merge_hook,
    registered_merge_hooks,
    unregister_merge_hook,
)
from customers.models import (
    Customer,
    CustomerGroup,
    CustomerMerge,
    CustomerPhone,
    CustomerStats,
    Interaction,
    Interest,
    Tag,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hook_calls():
    """A registered hook that records its calls and reports 3 moved records; removed afterwards."""
    calls = []

    def hook(survivor, duplicate):
        calls.append((survivor.pk, duplicate.pk))
        return 3

    register_merge_hook("tests.widgets", hook)
    yield calls
    unregister_merge_hook("tests.widgets")


@pytest.fixture
def pair(rep, sales_team):
    """Two organisations of the rep that are the same company, with everything a customer has."""
    survivor = CustomerFactory(
        kind=Customer.Kind.ORGANISATION,
        name="Acme Trading",
        owner=rep,
        team=sales_team,
        phones=["+989121111111", "+989122222222"],
        emails=["info@acme.example"],
        notes="Pays on time.",
        attributes={"fleet": 4},
    )
    duplicate = CustomerFactory(
        kind=Customer.Kind.ORGANISATION,
        name="Acme Trading Co",
        owner=rep,
        team=sales_team,
        phones=["+989122222222", "+989123333333"],
        emails=["info@acme.example", "sales@acme.example"],
        website="https://acme.example",
        job_title="",
        occupation="Wholesale",
        birth_date=date(1990, 1, 2),
        notes="Prefers SMS.",
        attributes={"fleet": 9, "warehouse": "Karaj"},
    )
    wholesale, retail = (
        CustomerGroup.objects.create(name="Wholesale", path="w/"),
        CustomerGroup.objects.create(name="Retail", path="r/"),
    )
    survivor.groups.add(wholesale)
    duplicate.groups.add(wholesale, retail)
    duplicate.tags.add(Tag.objects.create(name="vip"))
    duplicate.interests.add(Interest.objects.create(name="Travel"))
    return survivor, duplicate


def test_merge_moves_everything_and_loses_nothing(pair, rep, hook_calls):
    survivor, duplicate = pair
    contact = CustomerFactory(name="Sara Karimi", owner=rep, organisation=duplicate)
    for subject in ("First call", "Second call"):
        Interaction.objects.create(customer=duplicate, kind=Interaction.Kind.CALL, occurred_at=NOW, subject=subject)
    earlier_merge = CustomerMerge.objects.create(survivor=duplicate, merged_code="OLD1", merged_name="Acme (old)")
    message = OutboxMessage.objects.create(
        channel="sms",
        recipient="+989123333333",
        body="Hello",
        idempotency_key="merge-test",
        next_attempt_at=NOW,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(duplicate.pk),
    )
    CustomerStats.objects.create(customer=duplicate, frequency=5)
    CustomerStats.objects.create(customer=survivor, frequency=2)
    duplicate_id, duplicate_code = duplicate.pk, duplicate.code

    record = customer_merge(survivor=survivor, duplicate=duplicate, user=rep)

    survivor.refresh_from_db()
    assert not Customer.objects.filter(pk=duplicate_id).exists()
    # Contacts: the shared phone and email are kept once, the others move.
    assert sorted(survivor.phones.values_list("number", flat=True)) == [
        "+989121111111",
        "+989122222222",
        "+989123333333",
    ]
    assert sorted(survivor.emails.values_list("address", flat=True)) == ["info@acme.example", "sales@acme.example"]
    assert survivor.phones.filter(is_primary=True).count() == 1
    # Classification is the union of both.
    assert set(survivor.groups.values_list("name", flat=True)) == {"Wholesale", "Retail"}
    assert list(survivor.tags.values_list("name", flat=True)) == ["vip"]
    assert list(survivor.interests.values_list("name", flat=True)) == ["Travel"]
    # Contact persons, the timeline, earlier merges and generic references follow the survivor.
    contact.refresh_from_db()
    assert contact.organisation_id == survivor.pk
    subjects = set(survivor.interactions.values_list("subject", flat=True))
    assert {"First call", "Second call"} <= subjects
    earlier_merge.refresh_from_db()
    assert earlier_merge.survivor_id == survivor.pk
    message.refresh_from_db()
    assert message.object_id == str(survivor.pk)
    # The registered hook ran inside the merge and its count is recorded under its name.
    assert hook_calls == [(survivor.pk, duplicate_id)]
    # The duplicate's figures are dropped (analytics recomputes them); the survivor's stay.
    assert list(CustomerStats.objects.values_list("customer_id", "frequency")) == [(survivor.pk, 2)]

    assert record.moved["phones"] == 1
    assert record.moved["emails"] == 1
    assert record.moved["groups"] == 1
    assert record.moved["tags"] == 1
    assert record.moved["interests"] == 1
    assert record.moved["contacts"] == 1
    assert record.moved["interactions"] == 2
    assert record.moved["tests.widgets"] == 3
    assert record.moved["customers.customermerge.survivor"] == 1
    assert record.moved["crm_site.outboxmessage.concerning"] == 1
    assert Interaction.objects.filter(customer=duplicate_id).count() == 0
    assert record.merged_code == duplicate_code


def test_merge_fills_blank_fields_and_keeps_the_survivors_values(pair, rep):
    survivor, duplicate = pair
    customer_merge(survivor=survivor, duplicate=duplicate, user=rep)
    survivor.refresh_from_db()
    assert survivor.name == "Acme Trading"  # kept
    assert survivor.code.startswith("T")  # the survivor's code, never the duplicate's
    assert survivor.website == "https://acme.example"  # filled
    assert survivor.occupation == "Wholesale"
    assert survivor.birth_date == date(1990, 1, 2)
    assert survivor.notes == "Pays on time.\n\nPrefers SMS."  # both kept
    assert survivor.attributes == {"fleet": 4, "warehouse": "Karaj"}  # survivor's wins per key


def test_merge_is_recorded_in_the_merge_table_the_timeline_and_the_history(pair, rep):
    survivor, duplicate = pair
    duplicate_id, code, name = duplicate.pk, duplicate.code, duplicate.name

    record = customer_merge(survivor=survivor, duplicate=duplicate, user=rep)

    assert record.survivor_id == survivor.pk
    assert (record.merged_code, record.merged_name, record.merged_by) == (code, name, rep)
    assert record.merged_data["code"] == code
    assert record.merged_data["phones"] == ["+989122222222", "+989123333333"]
    assert record.merged_data["website"] == "https://acme.example"
    assert record.merged_at == NOW
    entry = survivor.interactions.get(kind=Interaction.Kind.SYSTEM)
    assert code in entry.subject and entry.user == rep
    assert entry.content_type == ContentType.objects.get_for_model(CustomerMerge)
    assert entry.object_id == str(record.pk)
    latest = survivor.history.first()
    assert latest.history_change_reason == f"Merged {code} into this customer"
    assert latest.history_user == rep
    deletion = Customer.history.get(id=duplicate_id, history_type="-")
    assert deletion.history_change_reason == f"Merged into {survivor.code}"
    assert deletion.history_user == rep


def test_merge_refreshes_the_survivors_search_column_and_primary_phone(rep):
    survivor = CustomerFactory(name="Reza Ahmadi", owner=rep)
    duplicate = CustomerFactory(name="Reza Ahmadi", owner=rep, phones=["+989124444444"], emails=["reza@example.com"])
    assert survivor.phone == "" and "09124444444" not in survivor.search_text

    customer_merge(survivor=survivor, duplicate=duplicate, user=rep)

    survivor.refresh_from_db()
    assert survivor.phone == "+989124444444"
    assert survivor.email == "reza@example.com"
    assert "09124444444" in survivor.search_text and "reza@example.com" in survivor.search_text


def test_merging_a_customer_into_itself_is_refused_and_writes_nothing(pair, rep):
    survivor, _duplicate = pair
    before = (Customer.objects.count(), Interaction.objects.count(), CustomerPhone.objects.count())
    with pytest.raises(MergeRefused):
        customer_merge(survivor=survivor, duplicate=Customer.objects.get(pk=survivor.pk), user=rep)
    assert (Customer.objects.count(), Interaction.objects.count(), CustomerPhone.objects.count()) == before
    assert not CustomerMerge.objects.exists()


def test_an_error_in_a_hook_rolls_the_whole_merge_back(pair, rep):
    survivor, duplicate = pair

    def broken(survivor, duplicate):
        raise RuntimeError("the sales app could not move an order")

    register_merge_hook("tests.broken", broken)
    try:
        with pytest.raises(RuntimeError):
            customer_merge(survivor=survivor, duplicate=duplicate, user=rep)
    finally:
        unregister_merge_hook("tests.broken")

    assert Customer.objects.filter(pk=duplicate.pk).exists()
    assert sorted(duplicate.phones.values_list("number", flat=True)) == ["+989122222222", "+989123333333"]
    assert set(duplicate.groups.values_list("name", flat=True)) == {"Wholesale", "Retail"}
    survivor.refresh_from_db()
    assert survivor.website == "" and survivor.notes == "Pays on time."
    assert survivor.phones.count() == 2 and survivor.groups.count() == 1
    assert not CustomerMerge.objects.exists()
    assert not Interaction.objects.filter(kind=Interaction.Kind.SYSTEM).exists()
    assert survivor.history.count() == 1  # only the creation


def test_hooks_are_registered_once_by_name():
    def hook(survivor, duplicate):
        return 0

    register_merge_hook("tests.twice", hook)
    register_merge_hook("tests.twice", hook)
    try:
        assert list(registered_merge_hooks()).count("tests.twice") == 1
    finally:
        unregister_merge_hook("tests.twice")
    assert "tests.twice" not in registered_merge_hooks()


def test_contact_persons_can_only_move_to_an_organisation(rep):
    person = CustomerFactory(kind=Customer.Kind.PERSON, name="Acme", owner=rep)
    organisation = CustomerFactory(kind=Customer.Kind.ORGANISATION, name="Acme", owner=rep)
    CustomerFactory(name="Sara", owner=rep, organisation=organisation)
    with pytest.raises(MergeRefused):
        customer_merge(survivor=person, duplicate=organisation, user=rep)
    assert Customer.objects.filter(pk=organisation.pk).exists()
    assert merge_preview(survivor=person, duplicate=organisation).problems


def test_the_survivor_stops_pointing_at_a_duplicate_organisation(rep):
    organisation = CustomerFactory(kind=Customer.Kind.ORGANISATION, name="Acme", owner=rep)
    contact = CustomerFactory(name="Acme", owner=rep, organisation=organisation)
    customer_merge(survivor=contact, duplicate=organisation, user=rep)
    contact.refresh_from_db()
    assert contact.organisation is None


def test_preview_shows_the_plan_and_writes_nothing(pair, rep):
    survivor, duplicate = pair
    CustomerFactory(name="Sara Karimi", owner=rep, organisation=duplicate)
    Interaction.objects.create(customer=duplicate, kind=Interaction.Kind.NOTE, occurred_at=NOW, subject="Hi")
    CustomerStats.objects.create(customer=duplicate)

    preview = merge_preview(survivor=survivor, duplicate=duplicate)

    moves = {move.key: (move.count, move.skipped) for move in preview.moves}
    assert moves["phones"] == (1, 1)
    assert moves["emails"] == (1, 1)
    assert moves["groups"] == (1, 1)
    assert moves["tags"] == (1, 0)
    assert moves["contacts"] == (1, 0)
    assert moves["interactions"] == (1, 0)
    assert preview.duplicate_has_stats and preview.can_merge
    outcomes = {decision.name: decision.outcome for decision in preview.fields}
    assert outcomes["website"] == Outcome.FILL
    assert outcomes["name"] == Outcome.KEEP
    assert outcomes["notes"] == Outcome.COMBINE
    assert outcomes["city"] == Outcome.SAME
    assert "code" not in outcomes
    assert Customer.objects.filter(pk=duplicate.pk).exists()
    assert not CustomerMerge.objects.exists()


# --- the merge page --------------------------------------------------------------------------


def merge_url(survivor, duplicate):
    return reverse("customers:merge", args=[survivor.pk, duplicate.pk])


def test_the_preview_page_shows_both_sides_a_swap_link_and_a_confirm_button(pair, rep, client_for):
    survivor, duplicate = pair
    response = client_for(rep).get(merge_url(survivor, duplicate))
    assert response.status_code == 200
    page = response.content.decode()
    assert survivor.name in page and duplicate.name in page
    assert merge_url(duplicate, survivor) in page  # swap
    assert "Merge now" in page and 'method="post"' in page
    assert 'data-testid="move-phones"' in page


def test_a_rep_merges_two_of_their_own_customers(pair, rep, client_for):
    survivor, duplicate = pair
    response = client_for(rep).post(merge_url(survivor, duplicate))
    assert response.status_code == 302
    assert response.url == reverse("customers:detail", args=[survivor.pk])
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert CustomerMerge.objects.get().merged_by == rep


def test_a_rep_cannot_merge_someone_elses_customer(rep, rep2, outsider_rep, client_for):
    own = CustomerFactory(owner=rep)
    colleagues = CustomerFactory(owner=rep2)
    outsiders = CustomerFactory(owner=outsider_rep)
    client = client_for(rep)
    for other in (colleagues, outsiders):
        assert client.get(merge_url(own, other)).status_code == 404
        assert client.post(merge_url(own, other)).status_code == 404
        assert client.post(merge_url(other, own)).status_code == 404
    assert Customer.objects.count() == 3


@pytest.mark.parametrize("persona", ["marketer", "agent"])
def test_roles_that_only_see_customers_cannot_merge(persona, personas, pair, client_for):
    survivor, duplicate = pair
    client = client_for(personas[persona])
    assert client.get(merge_url(survivor, duplicate)).status_code == 403
    assert client.post(merge_url(survivor, duplicate)).status_code == 403
    assert Customer.objects.filter(pk=duplicate.pk).exists()


def test_a_contractor_cannot_reach_the_merge_tool(contractor, pair, client_for):
    survivor, duplicate = pair
    assert client_for(contractor).post(merge_url(survivor, duplicate)).status_code == 403


def test_a_manager_merges_within_their_team_only(manager, pair, outsider_rep, client_for):
    survivor, duplicate = pair
    client = client_for(manager)
    outside = CustomerFactory(owner=outsider_rep)
    assert client.post(merge_url(survivor, outside)).status_code == 404
    response = client.post(merge_url(survivor, duplicate))
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=duplicate.pk).exists()


def test_merging_a_customer_into_itself_from_the_page_is_refused(pair, rep, client_for):
    survivor, _duplicate = pair
    response = client_for(rep).post(merge_url(survivor, survivor))
    assert response.status_code == 302 and response.url == reverse("customers:duplicates")
    assert Customer.objects.filter(pk=survivor.pk).exists()
    assert not CustomerMerge.objects.exists()


def test_a_refused_merge_returns_to_the_preview_with_the_reason(rep, client_for):
    person = CustomerFactory(kind=Customer.Kind.PERSON, name="Acme", owner=rep)
    organisation = CustomerFactory(kind=Customer.Kind.ORGANISATION, name="Acme", owner=rep)
    CustomerFactory(name="Sara", owner=rep, organisation=organisation)
    client = client_for(rep)
    response = client.post(merge_url(person, organisation))
    assert response.status_code == 302 and response.url == merge_url(person, organisation)
    page = client.get(response.url).content.decode()
    assert "only an organisation can take them over" in page
    assert Customer.objects.filter(pk=organisation.pk).exists()
