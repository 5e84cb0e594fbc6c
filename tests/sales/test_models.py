"""The defaults a fresh install starts selling with."""

import pytest

from sales.models import DisqualifyReason, LossReason, Pipeline, SalesSettings
from tests.sales.factories import OpportunityFactory, OrderLineFactory, default_pipeline

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_a_default_pipeline_with_won_and_lost_stages():
    pipeline = default_pipeline()
    kinds = list(pipeline.stages.values_list("kind", flat=True))
    assert kinds.count("won") == 1 and kinds.count("lost") == 1
    assert Pipeline.objects.filter(is_default=True).count() == 1
    assert LossReason.objects.exists() and DisqualifyReason.objects.exists()
    assert SalesSettings.load().pk == 1


def test_factories_make_consistent_rows():
    opportunity = OpportunityFactory()
    assert opportunity.stage.pipeline == opportunity.pipeline
    line = OrderLineFactory()
    assert line.line_total == line.unit_price
