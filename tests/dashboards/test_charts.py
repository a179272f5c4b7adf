"""Chart builders are pure: a DataFrame in, a figure with the expected traces out."""

import pandas as pd

from dashboards import charts


def test_cycle_time_chart_groups_median_and_p90_per_channel():
    df = pd.DataFrame(
        {
            "channel": ["web", "zalando"],
            "return_lines": [4, 5],
            "resolved_lines": [3, 4],
            "median_cycle_time_hours": [48.5, 115.1],
            "p90_cycle_time_hours": [58.5, 180.1],
        }
    )

    fig = charts.cycle_time_by_channel(df)

    assert [trace.type for trace in fig.data] == ["bar", "bar"]
    assert [trace.name for trace in fig.data] == ["Median", "p90"]
    assert list(fig.data[0].x) == ["web", "zalando"]
    assert list(fig.data[0].y) == [48.5, 115.1]
    assert list(fig.data[1].y) == [58.5, 180.1]
    assert fig.layout.barmode == "group"
    assert "hours" in fig.layout.yaxis.title.text


# ---- every builder, on the fixture's query results and on empty ones ----------------------------

from datetime import date  # noqa: E402

import pytest  # noqa: E402

from dashboards.filters import Filters  # noqa: E402
from dashboards.queries import (  # noqa: E402
    exceptions,
    inspection,
    inventory,
    lifecycle,
    overview,
    recovery,
    refunds,
    writeback,
)
from dashboards.serving import snapshot_version  # noqa: E402


def figures(version: str) -> dict[str, object]:
    f = Filters()
    window = overview.Period(date(2026, 1, 5), date(2026, 2, 8))
    labels = {k.name: k.label for k in overview.KPIS}
    summary = exceptions.open_summary(version, f)
    rows = recovery.recovery_rows(version, f)
    stages = lifecycle.stage_funnel(version, f)
    weekly = lifecycle.weekly(version, f)
    daily = inspection.backlog_daily(version, f)
    latency = inventory.latency_distribution(version, f)
    width = inventory.bin_width(inventory.platform_latency(version))
    return {
        "kpi_trends": charts.kpi_trends(overview.trends(version, f, window), labels),
        "cycle_time_distribution": charts.cycle_time_distribution(
            lifecycle.cycle_time_days(version, f)
        ),
        "stage_funnel": charts.stage_funnel(stages),
        "stage_waterfall": charts.stage_waterfall(stages),
        "weekly_lines": charts.weekly_lines(weekly),
        "weekly_cycle_time": charts.weekly_cycle_time(weekly),
        "breakdown_bars": charts.breakdown_bars(
            lifecycle.breakdown(version, f, "category"), "category", "t"
        ),
        "backlog_over_time": charts.backlog_over_time(daily),
        "sla_breaches_over_time": charts.sla_breaches_over_time(daily),
        "ageing_bars": charts.ageing_bars(inspection.ageing(version, f), inspection.AGE_BUCKETS),
        "refunds_by_bucket": charts.refunds_by_bucket(
            refunds.open_by_bucket(version, f), refunds.AGEING_BUCKETS
        ),
        "refund_accuracy": charts.refund_accuracy(refunds.accuracy_by_channel(version, f)),
        "latency_distribution": charts.latency_distribution(latency, inventory.LATENCY_BUCKETS),
        "stock_gaps_by_channel": charts.stock_gaps_by_channel(
            inventory.gaps_by_channel(version, f)
        ),
        "stock_by_state": charts.stock_by_state(inventory.stock_by_state(version, f)),
        "platform_latency": charts.platform_latency(
            inventory.platform_latency_histogram(version, width), width, inventory.TARGETS
        ),
        "recovery_by": charts.recovery_by(recovery.summarise(rows, "month"), "month_start", "t"),
        "recovery_monthly": charts.recovery_monthly(rows),
        "exceptions_by_type_and_age": charts.exceptions_by_type_and_age(
            summary, exceptions.AGE_BUCKETS
        ),
        "counts_bar": charts.counts_bar(
            exceptions.by(summary, "owner_role"), "owner_role", "exceptions", "t"
        ),
        "corrections_by_channel": charts.corrections_by_channel(writeback.corrections(version, f)),
    }


def test_every_chart_draws_the_fixture(served):
    for name, fig in figures(snapshot_version()).items():
        assert fig.data, name
        assert fig.layout.title.text, name
        fig.to_json()  # serialisable (Decimal money converted)


def test_every_chart_draws_an_empty_snapshot(publish_marts):
    publish_marts(tables={})
    for name, fig in figures(snapshot_version()).items():
        assert fig.layout.title.text is not None or fig.layout.annotations, name
        fig.to_json()


def test_waterfall_steps_are_the_median_hours(served, marts):
    stages = lifecycle.stage_funnel(snapshot_version(), Filters())

    fig = charts.stage_waterfall(stages)

    steps = stages.dropna(subset=["median_hours_from_previous"])
    steps = steps[steps["lines"] > 0]
    assert list(fig.data[0].x) == list(steps["stage"])
    assert list(fig.data[0].y) == pytest.approx(list(steps["median_hours_from_previous"]))
