"""Each page's headline numbers from a published snapshot equal the oracle's (pandas over the
marts' rows), unfiltered and under filters, and the filters do change them.

The same `headlines`-style functions are what the truth-based tests call once the real marts
exist (see tests/dashboards/README.md).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboards.filters import Filters
from dashboards.queries import (
    exceptions,
    inspection,
    inventory,
    lifecycle,
    overview,
    recovery,
    refunds,
    writeback,
)
from dashboards.serving import snapshot_version
from tests.dashboards import expected

FILTERS = {
    "all": Filters(),
    "web": Filters(channels=("web",)),
    "shoes at DC-EAST": Filters(categories=("shoes",), nodes=("DC-EAST",)),
    "two weeks": Filters(start=date(2026, 1, 12), end=date(2026, 1, 25)),
    "mixed": Filters(
        start=date(2026, 1, 19), end=date(2026, 2, 8), channels=("web", "zalando"),
        categories=("dresses", "shoes"),
    ),
}  # fmt: skip


@pytest.fixture
def version(served) -> str:
    return snapshot_version()


def approx(value):
    return None if value is None else pytest.approx(value)


def assert_numbers(actual: dict, wanted: dict) -> None:
    assert set(wanted) <= set(actual)
    for name, value in wanted.items():
        assert actual[name] == approx(value), name


@pytest.mark.parametrize("name", list(FILTERS))
def test_overview_kpis_for_the_period_and_the_one_before(version, marts, name):
    f = FILTERS[name]
    end = f.end or expected.as_of(marts).date()
    current = overview.period_ending(end, 7)

    for period in (current, current.previous()):
        kpis = overview.kpis(version, f, period)
        assert kpis.missing == {}
        assert_numbers(kpis.values, expected.overview_kpis(marts, f, period.start, period.end))


def test_overview_kpis_change_with_the_filters(version, marts):
    period = overview.period_ending(date(2026, 2, 8), 28)
    everything = overview.kpis(version, Filters(), period).values
    web = overview.kpis(version, Filters(channels=("web",)), period).values

    assert web["returns"] < everything["returns"]
    assert web["oversell_risk_units"] < everything["oversell_risk_units"]
    assert web["open_exceptions"] < everything["open_exceptions"]


def test_overview_reconstructs_open_refunds_over_sla_at_an_earlier_end(version, marts):
    # at the data's now the mart's flags answer; earlier, the refunds open then and over SLA
    early = overview.period_ending(date(2026, 1, 25), 7)
    wanted = expected.overview_kpis(marts, Filters(), early.start, early.end)

    assert wanted["open_refunds_over_sla"] > 0
    assert (
        overview.kpis(version, Filters(), early)["open_refunds_over_sla"]
        == (wanted["open_refunds_over_sla"])
    )


def test_overview_trends_end_at_the_kpi_values(version, marts):
    window = overview.Period(date(2026, 1, 5), date(2026, 2, 8))
    trend = overview.trends(version, Filters(), window)

    assert set(trend["kpi"]) == {k.name for k in overview.KPIS if k.has_history}
    returns = trend[trend["kpi"] == "returns"]
    assert returns["value"].sum() == len(marts["fct_return_lines"])
    # the last week's backlog is the backlog at the end of the data
    backlog = trend[trend["kpi"] == "inspection_backlog_units"].sort_values("week_start")
    wanted = expected.overview_kpis(marts, Filters(), date(2026, 2, 2), date(2026, 2, 8))
    assert backlog["value"].iloc[-1] == wanted["inspection_backlog_units"]
    refunds_over_sla = trend[trend["kpi"] == "open_refunds_over_sla"].sort_values("week_start")
    assert refunds_over_sla["value"].iloc[-1] == wanted["open_refunds_over_sla"]
    exceptions_open = trend[trend["kpi"] == "open_exceptions"].sort_values("week_start")
    assert exceptions_open["value"].iloc[-1] == wanted["open_exceptions"]


def test_overview_without_sales_rollup_leaves_return_rate_unknown(publish_marts, marts):
    publish_marts(omit=["rpt_sales_daily"])
    period = overview.period_ending(date(2026, 2, 8), 7)

    kpis = overview.kpis(snapshot_version(), Filters(), period)

    assert kpis["return_rate"] is None
    assert "return_rate" in kpis.missing and "rpt_sales_daily" in kpis.missing["return_rate"]
    assert (
        kpis["returns"]
        == expected.overview_kpis(marts, Filters(), period.start, period.end)["returns"]
    )


@pytest.mark.parametrize("name", list(FILTERS))
def test_lifecycle_cycle_time_tiles(version, marts, name):
    f = FILTERS[name]
    assert_numbers(lifecycle.headlines(version, f), expected.cycle_time_tiles(marts, f))


def test_lifecycle_unfiltered_reads_the_rollup_and_agrees_with_the_lines(version, marts):
    rollup = lifecycle.cycle_time_by_channel(version, Filters())
    every_channel = Filters(channels=("amazon", "store", "web", "zalando"))
    recomputed = lifecycle.cycle_time_by_channel(version, every_channel)

    pd.testing.assert_frame_equal(rollup, recomputed, check_dtype=False)


def test_lifecycle_stages_breakdowns_and_lines(version, marts):
    f = FILTERS["mixed"]
    lines = expected.lines(marts, f)

    stages = lifecycle.stage_funnel(version, f).set_index("stage")
    assert stages.loc["initiated", "lines"] == len(lines)
    assert stages.loc["received", "lines"] == lines["received_at"].notna().sum()
    assert stages.loc["resolved", "lines"] == lines["resolved_at"].notna().sum()
    both = lines.dropna(subset=["received_at", "inspected_at"])
    hours = (both["inspected_at"] - both["received_at"]).dt.total_seconds() / 3600
    assert stages.loc["inspected", "median_hours_from_previous"] == pytest.approx(hours.median())

    by_reason = lifecycle.breakdown(version, f, "reason").set_index("reason_code")
    assert by_reason["lines"].to_dict() == lines.groupby("reason_code").size().to_dict()
    by_category = lifecycle.breakdown(version, f, "category").set_index("category")
    assert by_category["units"].to_dict() == lines.groupby("category")["quantity"].sum().to_dict()

    rows, total = lifecycle.return_lines(version, f, reason="STYLE")
    assert total == len(rows) == (lines["reason_code"] == "STYLE").sum()
    rows, total = lifecycle.return_lines(version, f, limit=3)
    assert (len(rows), total) == (3, len(lines))

    weekly = lifecycle.weekly(version, f)
    assert weekly["lines_initiated"].sum() == len(lines)


def test_lifecycle_breakdown_only_takes_the_fixed_choices(version):
    with pytest.raises(KeyError):
        lifecycle.breakdown(version, Filters(), "reason_code; drop table fct_return_lines")


@pytest.mark.parametrize("name", ["all", "shoes at DC-EAST", "two weeks"])
def test_inspection_headlines(version, marts, name):
    f = FILTERS[name]
    assert_numbers(inspection.headlines(version, f), expected.inspection(marts, f))
    waiting = expected.waiting_lines(marts, f)
    ages = inspection.ageing(version, f)
    assert ages["units"].sum() == waiting["quantity"].sum()
    oldest = inspection.oldest(version, f)
    assert list(oldest["return_line_id"]) == list(
        waiting.sort_values(["received_at", "return_line_id"])["return_line_id"][:25]
    )


def test_inspection_backlog_at_an_earlier_end_date(version, marts):
    f = Filters(end=date(2026, 1, 14))
    wanted = expected.inspection(marts, f)

    assert wanted["units_awaiting"] > 0
    assert_numbers(inspection.headlines(version, f), wanted)
    assert inspection.ageing(version, f)["units"].sum() == (
        expected.waiting_lines(marts, f)["quantity"].sum()
    )


@pytest.mark.parametrize("name", list(FILTERS))
def test_refund_headlines(version, marts, name):
    f = FILTERS[name]
    assert_numbers(refunds.headlines(version, f), expected.refund_headlines(marts, f))
    wanted = expected.refunds(marts, f)
    buckets = refunds.open_by_bucket(version, f)
    assert buckets["refunds"].sum() == wanted["is_open"].sum()
    accuracy = refunds.accuracy_by_channel(version, f)
    assert accuracy["resolved_refunds"].sum() == (~wanted["is_open"].astype(bool)).sum()
    assert len(refunds.slowest(version, f)) == min(25, len(wanted))


@pytest.mark.parametrize("name", list(FILTERS))
def test_inventory_headlines(version, marts, name):
    f = FILTERS[name]
    gaps = expected.gaps(marts, f)
    numbers = inventory.headlines(version, f)
    assert numbers["oversell_risk_units"] == gaps["oversell_risk_units"].sum()
    assert numbers["hidden_units"] == gaps["hidden_units"].sum()
    assert numbers["sync_events"] == len(expected.sync(marts, f))
    latency = inventory.latency_by_channel(version, f).set_index("channel")
    for tile, value in expected.latency_tiles(marts, f).items():
        channel, _, what = tile.partition(" median ")
        column = (
            "median_channel_latency_hours"
            if what.startswith("channel")
            else ("median_sor_latency_hours")
        )
        assert latency.loc[channel, column] == approx(value), tile
    distribution = inventory.latency_distribution(version, f)
    assert distribution["events"].sum() == (
        expected.sync(marts, f)[["sor_latency_hours", "channel_latency_hours"]].notna().sum().sum()
    )


def test_inventory_stock_by_state_on_the_latest_day(version, marts):
    f = Filters(nodes=("DC-WEST",), categories=("jeans",))
    stock = inventory.stock_by_state(version, f)
    positions = marts["fct_inventory_positions"]
    jeans = set(marts["dim_products"].query("category == 'jeans'")["sku"])
    latest = positions[
        positions["is_latest"] & (positions["node_id"] == "DC-WEST") & positions["sku"].isin(jeans)
    ]
    wanted = latest.groupby("state")["units"].sum()
    assert stock.set_index("state")["units"].to_dict() == wanted[wanted != 0].to_dict()


@pytest.mark.parametrize("name", list(FILTERS))
def test_recovery_headlines_and_rows(version, marts, name):
    f = FILTERS[name]
    assert_numbers(recovery.headlines(version, f) | {}, expected.recovery_headlines(marts, f))
    rows = recovery.recovery_rows(version, f)
    wanted = expected.recovery_rows(marts, f)
    assert len(rows) == len(wanted)
    by = recovery.summarise(rows, "disposition").set_index("disposition")
    assert by["units"].to_dict() == wanted.groupby("disposition")["units"].sum().to_dict()
    claims = recovery.chargebacks(version, f)
    assert len(claims) == len(expected.chargebacks(marts, f))


@pytest.mark.parametrize("name", list(FILTERS))
def test_exception_headlines(version, marts, name):
    f = FILTERS[name]
    assert_numbers(exceptions.headlines(version, f), expected.exception_headlines(marts, f))
    wanted = expected.open_exceptions(marts, f)
    summary = exceptions.open_summary(version, f)
    assert (
        exceptions.by(summary, "exception_type").set_index("exception_type")["exceptions"].to_dict()
        == wanted.groupby("exception_type").size().to_dict()
    )
    rows, total = exceptions.open_rows(version, f, owner_role="finance")
    assert total == len(rows) == (wanted["owner_role"] == "finance").sum()


@pytest.mark.parametrize("name", ["all", "web", "shoes at DC-EAST", "mixed"])
def test_writeback_headlines(version, marts, name):
    f = FILTERS[name]
    assert_numbers(writeback.headlines(version, f), expected.writeback_headlines(marts, f))
    assert writeback.outbox(version, f) is None
    assert writeback.audit(version, f) is None


def test_writeback_reads_outbox_and_audit_when_published(publish_marts, marts):
    outbox = pd.DataFrame(
        {
            "correction_id": ["c1", "c2", "c3", "c4"],
            "channel": ["web", "web", "amazon", "zalando"],
            "status": ["pending", "conflict", "acked", "failed"],
        }
    )
    audit = pd.DataFrame(
        {"correction_id": ["c2", "c2"], "channel": ["web", "web"], "response": ["409", "409"]}
    )
    path = publish_marts()
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.register("o", outbox)
        con.register("a", audit)
        con.execute("create table writeback_outbox as select * from o")
        con.execute("create table writeback_audit as select * from a")
    version = snapshot_version()

    rows = writeback.outbox(version, Filters(channels=("web",)))
    counts = writeback.status_counts(writeback.outbox(version, Filters())).set_index("status")

    assert list(rows["correction_id"]) == ["c1", "c2"]
    assert counts["corrections"].to_dict() == {
        "pending": 1, "approved": 0, "sent": 0, "acked": 1, "conflict": 1, "failed": 1,
    }  # fmt: skip
    assert len(writeback.audit(version, Filters())) == 2


def test_unfiltered_rollups_agree_with_the_facts(version, marts):
    """The rollups the page reads unfiltered (`dashboards.rollups.ROLLUPS`) give the numbers the
    facts give: filtering on every channel takes the facts' path to the same rows."""
    every_channel = Filters(channels=tuple(marts["dim_channels"]["channel_id"]))

    pd.testing.assert_frame_equal(
        lifecycle.stage_funnel(version, Filters()),
        lifecycle.stage_funnel(version, every_channel),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(
        inventory.latency_by_channel(version, Filters()),
        inventory.latency_by_channel(version, every_channel),
        check_dtype=False,
    )
    for query in (lifecycle.cycle_time_days, lifecycle.weekly):
        pd.testing.assert_frame_equal(
            query(version, Filters()), query(version, every_channel), check_dtype=False
        )
    window = overview.Period(date(2026, 1, 5), date(2026, 2, 8))  # all the data
    pd.testing.assert_frame_equal(
        overview.trends(version, Filters(), window),
        overview.trends(version, every_channel, window),
        check_dtype=False,
    )


def test_pages_fall_back_to_the_facts_without_rollups(publish_marts, marts):
    from dashboards.rollups import ROLLUPS

    publish_marts(omit=[name for name in ROLLUPS if name != "rpt_cycle_time_by_channel"])
    version = snapshot_version()

    stages = lifecycle.stage_funnel(version, Filters()).set_index("stage")
    latency = inventory.latency_by_channel(version, Filters()).set_index("channel")

    assert stages.loc["initiated", "lines"] == len(marts["fct_return_lines"])
    tiles = expected.latency_tiles(marts, Filters())
    assert latency.loc["web", "median_channel_latency_hours"] == pytest.approx(
        tiles["web median channel latency"]
    )
    window = overview.Period(date(2026, 1, 5), date(2026, 2, 8))
    trend = overview.trends(version, Filters(), window)
    assert trend.loc[trend["kpi"] == "returns", "value"].sum() == len(marts["fct_return_lines"])
    assert lifecycle.weekly(version, Filters())["lines_initiated"].sum() == len(
        marts["fct_return_lines"]
    )
    assert lifecycle.cycle_time_days(version, Filters())["lines"].sum() == (
        marts["fct_return_lines"]["cycle_time_hours"].notna().sum()
    )


def test_the_oracle_reads_a_published_snapshot_like_the_fixture(served, marts):
    """`expected.read_marts` is how the truth-based tests will feed the oracle real marts."""
    read = expected.read_marts(served)
    f = FILTERS["mixed"]

    assert set(read) == set(marts) | {
        "rpt_cycle_time_by_channel", "rpt_cycle_time_days", "rpt_lifecycle_weekly",
        "rpt_lifecycle_stages", "rpt_sync_latency_by_channel", "rpt_weekly_kpis",
        "rpt_source_freshness",
    }  # fmt: skip
    for oracle in (
        lambda m: expected.overview_kpis(m, f, date(2026, 2, 2), date(2026, 2, 8)),
        lambda m: expected.cycle_time_tiles(m, f),
        lambda m: expected.inspection(m, f),
        lambda m: expected.refund_headlines(m, f),
        lambda m: expected.recovery_headlines(m, f),
        lambda m: expected.exception_headlines(m, f),
        lambda m: expected.writeback_headlines(m, f),
        lambda m: expected.latency_tiles(m, f),
    ):
        wanted = oracle(marts)
        assert oracle(read) == {k: approx(v) for k, v in wanted.items()}
