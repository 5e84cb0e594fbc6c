"""The RFM segment codes analytics writes are the choices CustomerStats (and so marketing's
segment builder) offers."""

from analytics.metrics.rfm import RFM_GRID, RFM_SEGMENTS
from customers.models import CustomerStats


def test_every_rfm_code_is_a_customer_stats_choice_and_back():
    codes = [code for code, _label, _description in RFM_SEGMENTS]
    assert codes == list(CustomerStats.RfmSegment.values)
    assert {code for row in RFM_GRID for code in row} == set(codes)
