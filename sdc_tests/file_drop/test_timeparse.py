from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sdc_assets.file_drop.timeparse import (
    detect_culture_format,
    parse_culture_time,
    parse_iso,
    parse_sillytavern_date,
)

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    "values",
    [
        ["3/10/2025 1:02:45 PM", "3/9/2025 8:20:11 AM"],
        ["2025-03-10 13:02:45", "2025-03-09 08:20:11"],
        ["2025-03-10T13:02:45", "2025-03-09T08:20:11"],
        ["10-3-2025 13:02:45", "14-3-2025 09:00:00"],
    ],
)
def test_culture_formats_are_read_as_utc(values):
    fmt = detect_culture_format(values)
    assert parse_culture_time(values[0], fmt) == datetime(2025, 3, 10, 13, 2, 45, tzinfo=UTC)


def test_ambiguous_day_month_is_settled_by_the_rest_of_the_file():
    day_first = detect_culture_format(["03/10/2025 08:00:00", "13/10/2025 08:00:00"])
    assert parse_culture_time("03/10/2025 08:00:00", day_first) == datetime(2025, 10, 3, 8, tzinfo=UTC)


@pytest.mark.parametrize("unset", ["0001-01-01 00:00:00", "1/1/0001 12:00:00 AM", "", "   "])
def test_year_one_and_empty_mean_no_time(unset):
    assert parse_culture_time(unset, detect_culture_format([unset])) is None


def test_a_time_outside_the_file_format_is_an_error():
    with pytest.raises(ValueError, match="unrecognized time"):
        parse_culture_time("gisteren", "%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1741600000000, datetime(2025, 3, 10, 9, 46, 40, tzinfo=UTC)),
        ("1741600000000", datetime(2025, 3, 10, 9, 46, 40, tzinfo=UTC)),
        ("2025-11-23T13:05:09.123Z", datetime(2025, 11, 23, 13, 5, 9, 123000, tzinfo=UTC)),
        ("2025-11-23T14:05:09+01:00", datetime(2025, 11, 23, 13, 5, 9, tzinfo=UTC)),
        ("June 19, 2023 2:20pm", datetime(2023, 6, 19, 12, 20, tzinfo=UTC)),
        ("2024-07-12@01h31m37s123ms", datetime(2024, 7, 11, 23, 31, 37, 123000, tzinfo=UTC)),
        ("2024-7-12@01h31m37s", datetime(2024, 7, 11, 23, 31, 37, tzinfo=UTC)),
        ("2024-6-5 @14h 56m 50s 682ms", datetime(2024, 6, 5, 12, 56, 50, 682000, tzinfo=UTC)),
        ("2024-12-5 @14h 56m 50s 682ms", datetime(2024, 12, 5, 13, 56, 50, 682000, tzinfo=UTC)),
    ],
)
def test_every_sillytavern_date_form(value, expected):
    assert parse_sillytavern_date(value, AMS) == expected


@pytest.mark.parametrize("value", ["gisteren", "", None, True, {"a": 1}, "2024-13-45@99h99m99s"])
def test_unreadable_sillytavern_dates_are_none(value):
    assert parse_sillytavern_date(value, AMS) is None


def test_naive_local_times_take_the_configured_zone():
    assert parse_sillytavern_date("2024-07-12@01h31m37s", ZoneInfo("America/New_York")) == datetime(
        2024, 7, 12, 5, 31, 37, tzinfo=UTC
    )


def test_iso_date_only_is_local_midnight():
    assert parse_iso("2024-03-05", AMS) == datetime(2024, 3, 4, 23, tzinfo=UTC)
    assert parse_iso("not a date", AMS) is None
