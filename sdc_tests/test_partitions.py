"""The one rule from an instant to its partition day, and the window a run of days reads."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sdc_assets.partitions import daily_partitions, local_day


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2025, 3, 9, 22, 59, 59, tzinfo=UTC), "2025-03-09"),  # 23:59:59 in Amsterdam (CET)
        (datetime(2025, 3, 9, 23, 0, tzinfo=UTC), "2025-03-10"),
        (datetime(2025, 7, 1, 21, 59, tzinfo=UTC), "2025-07-01"),  # 23:59 in Amsterdam (CEST)
        (datetime(2025, 7, 1, 22, 0, tzinfo=UTC), "2025-07-02"),
        (datetime(2025, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=-5))), "2025-03-10"),  # 07:00 in Amsterdam
    ],
)
def test_an_instant_lands_on_its_amsterdam_day(instant, day):
    assert local_day(instant) == day


def test_an_instant_without_a_zone_is_refused_by_name():
    with pytest.raises(ValueError, match="2025-03-10T12:00:00"):
        local_day(datetime(2025, 3, 10, 12))


def test_the_partition_window_and_local_day_agree_across_the_dst_change():
    for key in ("2025-03-29", "2025-03-30", "2025-10-26"):
        window = daily_partitions.time_window_for_partition_key(key)
        assert local_day(window.start) == key
        assert local_day(window.end - timedelta(microseconds=1)) == key
