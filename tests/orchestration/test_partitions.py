"""Event-date partitions: which days a run rebuilds, and what the backfill command accepts."""

from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.partitions import (
    EVENT_DATE_PARTITIONS,
    PARTITIONS_START,
    dbt_vars_for,
    latest_partition_key,
    parse_day,
)

TODAY = date.fromisoformat(latest_partition_key())


def test_the_latest_partition_is_today_as_dagster_says():
    assert latest_partition_key() == EVENT_DATE_PARTITIONS.get_last_partition_key()
    assert latest_partition_key(datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == "2026-03-01"
    with pytest.raises(ValueError, match="naive"):
        latest_partition_key(datetime(2026, 3, 1))


def test_a_past_range_is_exact_and_the_latest_day_alone_is_live():
    past = dbt_vars_for(date(2026, 1, 6), date(2026, 1, 8), TODAY)
    assert past == {
        "event_date_from": "2026-01-06",
        "event_date_to": "2026-01-08",
        "event_date_exact": True,
    }
    assert dbt_vars_for(TODAY, TODAY, TODAY)["event_date_exact"] is False
    # a range ending today is a backfill too: exactly its days
    assert dbt_vars_for(date(2026, 1, 6), TODAY, TODAY)["event_date_exact"] is True
    with pytest.raises(ValueError, match="empty range"):
        dbt_vars_for(date(2026, 1, 8), date(2026, 1, 6), TODAY)


@pytest.mark.parametrize(
    ("text", "message"),
    [("2026-13-01", "not a day"), ("yesterday", "not a day"), ("2024-12-31", "outside")],
)
def test_parse_day_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_day(text)
    assert parse_day(PARTITIONS_START) == date.fromisoformat(PARTITIONS_START)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-01-08", "--end", "2026-01-06"], "is before --start"),
        (["--start", "2026/01/06"], "not a day"),
        (["--start", "2020-01-01"], "outside the event-date partitions"),
    ],
)
def test_the_backfill_command_refuses_bad_days_before_touching_anything(tmp_path, args, message):
    result = CliRunner().invoke(app, ["backfill", *args, "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []  # no warehouse, no Dagster instance created
