"""The shared template filters."""

import pytest

from crm_site.templatetags.crm import percent


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (0.29, 1, "29.0%"),  # not 28.9% (0.29 is 0.28999... as a float)
        (0.175, 1, "17.5%"),
        (0.12345, 1, "12.3%"),
        (0.12355, 2, "12.36%"),
        (23479.864, 1, "2,347,986.4%"),
        (None, 1, "—"),
        ("", 1, "—"),
    ],
)
def test_percent_rounds_half_up_and_groups_thousands(value, places, expected):
    assert percent(value, places) == expected
