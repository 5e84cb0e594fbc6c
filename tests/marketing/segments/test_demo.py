"""The demo segments: built on whatever demo data exists, nested, counted."""

import pytest

from crm_site.demo import DemoContext
from customers.models import CustomerGroup
from customers.services import group_save
from marketing.demo.segments import STATIC_LIST_SIZE, seed
from marketing.models import Segment, SegmentMember
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_seed_builds_counted_nested_segments():
    wholesale = group_save(group=CustomerGroup(name="Wholesale"))
    tehran_wholesale = group_save(group=CustomerGroup(name="Tehran", parent=wholesale))
    customers = [CustomerFactory(province="tehran", sms_consent=index % 2 == 0) for index in range(60)]
    customers[0].groups.add(tehran_wholesale)
    ctx = DemoContext(seed=1, customers=60)
    seed(ctx)
    segments = {s.name: s for s in Segment.objects.all()}
    assert segments["Tehran customers"].last_count == 60
    assert segments["Tehran buyers in the last 90 days"].parent == segments["Tehran customers"]
    assert segments["Wholesale group"].last_count == 1
    assert segments["Consented to SMS"].last_count == 30
    assert all(s.last_counted_at is not None for s in segments.values())
    assert SegmentMember.objects.filter(segment=segments["Nowruz gift list"]).count() == STATIC_LIST_SIZE
    depths = [s for s in segments.values() if s.parent and s.parent.parent]
    assert depths, "at least one segment three levels deep"
    assert ctx.summary and "Marketing segments" in ctx.summary[0]
