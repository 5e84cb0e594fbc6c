"""Segment services: child segments, static lists and their import, counting, membership over
time and snapshots."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from marketing.models import Campaign, Segment, SegmentMember, SegmentMembership, SegmentSnapshot
from marketing.selectors.segments import segment_customers
from marketing.services.segments import (
    segment_count,
    segment_create,
    segment_delete,
    segment_members_add,
    segment_members_import,
    segment_members_remove,
    segment_membership_refresh,
    segment_snapshot_take,
    segment_update,
)
from marketing.tasks.segments import recount_segments
from tests.factories import CustomerFactory
from tests.marketing.segments.conftest import workbook_bytes
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=datetime.UTC)
TEHRAN = {"match": "all", "conditions": [{"field": "province", "op": "in", "value": ["tehran"]}]}
CONSENT = {"match": "all", "conditions": [{"field": "sms_consent", "op": "yes"}]}


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


@pytest.fixture
def base():
    return {
        "T1": CustomerFactory(code="T1", province="tehran", sms_consent=True, phones=["+989121111111"]),
        "T2": CustomerFactory(code="T2", province="tehran", sms_consent=False),
        "I1": CustomerFactory(code="I1", province="isfahan", sms_consent=True),
    }


def test_child_segment_refines_its_parent_and_grandparent(base):
    tehran = segment_create(name="Tehran", rules=TEHRAN)
    consent = segment_create(name="Consent", rules=CONSENT, parent=tehran)
    assert codes(segment_customers(tehran)) == {"T1", "T2"}
    assert codes(segment_customers(consent)) == {"T1"}
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC, parent=consent)
    segment_members_add(segment=picked, customer_ids=[base["T1"].pk, base["I1"].pk])
    # I1 is on the list but not in the parent chain.
    assert codes(segment_customers(picked)) == {"T1"}


def test_a_segment_cannot_refine_itself_or_a_descendant(base):
    top = segment_create(name="Top", rules=TEHRAN)
    child = segment_create(name="Child", rules=CONSENT, parent=top)
    grandchild = segment_create(name="Grandchild", rules={}, parent=child)
    for new_parent in (top, grandchild):
        with pytest.raises(ValidationError) as error:
            segment_update(segment=top, parent=new_parent)
        assert "cannot refine itself" in str(error.value)
    top.refresh_from_db()
    assert top.parent_id is None


def test_invalid_rules_and_duplicate_names_write_nothing(base):
    with pytest.raises(ValidationError) as error:
        segment_create(name="Bad", rules={"match": "all", "conditions": [{"field": "nope", "op": "in", "value": []}]})
    assert "unknown field" in str(error.value.message_dict["rules"])
    segment_create(name="Tehran", rules=TEHRAN)
    with pytest.raises(ValidationError) as error:
        segment_create(name="tehran", rules=CONSENT)
    assert "name" in error.value.message_dict
    assert Segment.objects.count() == 1


def test_delete_is_refused_with_children_or_campaigns(base, marketer):
    parent = segment_create(name="Parent", rules=TEHRAN)
    child = segment_create(name="Child", rules=CONSENT, parent=parent)
    with pytest.raises(ValidationError, match="sub-segment"):
        segment_delete(segment=parent)
    campaign = Campaign.objects.create(name="Spring", owner=marketer)
    campaign.excluded_segments.add(child)
    with pytest.raises(ValidationError, match="used by 1 campaign"):
        segment_delete(segment=child)
    campaign.excluded_segments.clear()
    segment_delete(segment=child)
    segment_delete(segment=parent)
    assert not Segment.objects.exists()


def test_static_list_add_is_idempotent_and_remove(base, marketer):
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC)
    assert segment_members_add(segment=picked, customer_ids=[base["T1"].pk, base["T2"].pk], by=marketer) == 2
    assert segment_members_add(segment=picked, customer_ids=[base["T1"].pk, base["I1"].pk], by=marketer) == 1
    assert codes(segment_customers(picked)) == {"T1", "T2", "I1"}
    assert segment_members_remove(segment=picked, customer_ids=[base["T2"].pk, 999999]) == 1
    assert codes(segment_customers(picked)) == {"T1", "I1"}
    with pytest.raises(ValidationError, match="999999"):
        segment_members_add(segment=picked, customer_ids=[999999])
    rule = segment_create(name="Rule", rules=TEHRAN)
    with pytest.raises(ValidationError, match="Only a static list"):
        segment_members_add(segment=rule, customer_ids=[base["T1"].pk])


def test_import_by_code_and_phone(base):
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC)
    upload = workbook_bytes([["t2"], ["0912 111 1111"], [None], ["I1"]])
    assert segment_members_import(segment=picked, upload=upload) == 3
    assert codes(segment_customers(picked)) == {"T1", "T2", "I1"}


def test_import_with_a_bad_row_writes_nothing(base):
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC)
    upload = workbook_bytes([["T1"], ["NOPE-42"], ["I1"]])
    with pytest.raises(ValidationError) as error:
        segment_members_import(segment=picked, upload=upload)
    assert error.value.messages == ["Row 3: no customer has the code or phone number “NOPE-42”."]
    assert not SegmentMember.objects.exists()


def test_import_refuses_a_file_that_is_not_a_workbook(base):
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC)
    with pytest.raises(ValidationError, match="could not be read"):
        segment_members_import(segment=picked, upload=workbook_bytes([]).__class__(b"not a zip"))


def test_segment_count_stores_the_size(base, django_assert_num_queries):
    OrderFactory(customer=base["T1"], ordered_at=NOW - datetime.timedelta(days=20), total=Decimal("5000000"))
    OrderFactory(customer=base["T2"], ordered_at=NOW - datetime.timedelta(days=400), total=Decimal("9000000"))
    segment = segment_create(
        name="Good Tehran buyers",
        rules={
            "match": "all",
            "conditions": [
                {"field": "province", "op": "in", "value": ["tehran"]},
                {"field": "orders_count", "op": "gte", "value": 1, "days": 365},
                {"field": "total_spent", "op": "gte", "value": "1000000"},
            ],
        },
    )
    with django_assert_num_queries(2):  # the count, and storing it
        assert segment_count(segment=segment, now=NOW) == 1
    segment.refresh_from_db()
    assert (segment.last_count, segment.last_counted_at) == (1, NOW)


def test_membership_refresh_reports_who_entered_and_left(base):
    segment = segment_create(name="Consent", rules=CONSENT)
    entered, left = segment_membership_refresh(segment=segment, now=NOW)
    assert sorted(entered) == sorted([base["T1"].pk, base["I1"].pk]) and left == []
    assert segment_membership_refresh(segment=segment, now=NOW) == ([], [])
    # T1 withdraws consent, T2 gives it.
    type(base["T1"]).objects.filter(pk=base["T1"].pk).update(sms_consent=False)
    type(base["T2"]).objects.filter(pk=base["T2"].pk).update(sms_consent=True)
    later = NOW + datetime.timedelta(days=1)
    assert segment_membership_refresh(segment=segment, now=later) == ([base["T2"].pk], [base["T1"].pk])
    stays = SegmentMembership.objects.filter(segment=segment, customer=base["T1"]).get()
    assert (stays.entered_at, stays.left_at) == (NOW, later)
    assert SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).count() == 2
    # T1 comes back: a second stay.
    type(base["T1"]).objects.filter(pk=base["T1"].pk).update(sms_consent=True)
    assert segment_membership_refresh(segment=segment, now=later + datetime.timedelta(days=1))[0] == [base["T1"].pk]
    assert SegmentMembership.objects.filter(segment=segment, customer=base["T1"]).count() == 2
    segment.refresh_from_db()
    assert segment.membership_refreshed_at == later + datetime.timedelta(days=1)


def test_snapshot_records_the_size(base):
    segment = segment_create(name="Tehran", rules=TEHRAN)
    snapshot = segment_snapshot_take(segment=segment, now=NOW)
    assert (snapshot.size, snapshot.taken_at, snapshot.campaign_run) == (2, NOW, None)
    assert SegmentSnapshot.objects.get().pk == snapshot.pk
    segment.refresh_from_db()
    assert segment.last_count == 2


def test_the_nightly_recount_refreshes_every_active_segment(base):
    tehran = segment_create(name="Tehran", rules=TEHRAN)
    paused = segment_create(name="Consented", rules=CONSENT)
    Segment.objects.filter(pk=paused.pk).update(is_active=False, last_count=None)
    CustomerFactory(province="tehran")  # joins after the segment was counted on save

    assert recount_segments.delay().get() == 1

    tehran.refresh_from_db()
    paused.refresh_from_db()
    assert tehran.last_count == 3
    assert paused.last_count is None


def test_an_import_finds_only_the_customers_the_importer_may_see(base, manager):
    """A manager sees their team's customers: a code from elsewhere counts as unknown, so the
    import neither adds the customer nor tells that it exists."""
    mine = CustomerFactory(code="M1", owner=manager, team=manager.team)
    picked = segment_create(name="Picked", kind=Segment.Kind.STATIC)
    with pytest.raises(ValidationError, match="T1"):
        segment_members_import(segment=picked, upload=workbook_bytes([["M1"], ["T1"]]), by=manager)
    assert not SegmentMember.objects.exists()
    assert segment_members_import(segment=picked, upload=workbook_bytes([["M1"]]), by=manager) == 1
    assert list(segment_customers(picked)) == [mine]
