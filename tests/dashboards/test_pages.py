"""Every page through Streamlit's AppTest against the fixture snapshot: it renders, its headline
numbers are the oracle's, URL filters change them as the oracle says, and messages replace
tracebacks when the snapshot is missing, empty or older than the pages."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dashboards import ui
from dashboards.filters import Filters
from dashboards.queries.inventory import CHANNEL, SERVING
from dashboards.queries.overview import KPIS, period_ending
from tests.dashboards import expected
from tests.dashboards.conftest import PAGES, metrics, run_page

URL_FILTERS = {
    "none": {},
    "web and amazon": {"channel": ["web", "amazon"]},
    "shoes, dresses at DC-EAST": {"category": "shoes,dresses", "node": "DC-EAST"},
    "late January": {"from": "2026-01-19", "to": "2026-02-01"},
}


def expected_metrics(page: str, marts, f: Filters) -> dict[str, str]:
    """The tiles a page shows, as text, from the oracle."""
    if page == "overview":
        end = f.end or expected.as_of(marts).date()
        period = period_ending(end, 7)
        numbers = expected.overview_kpis(marts, f, period.start, period.end)
        return {kpi.label: ui.FORMATTERS[kpi.unit](numbers[kpi.name]) for kpi in KPIS}
    if page == "lifecycle":
        return {k: ui.hours(v) for k, v in expected.cycle_time_tiles(marts, f).items()}
    if page == "inspection":
        n = expected.inspection(marts, f)
        return {
            "Units awaiting inspection": ui.count(n["units_awaiting"]),
            "Units over SLA": ui.count(n["units_over_sla"]),
            "Oldest waiting": ui.hours(n["oldest_age_hours"]),
        }
    if page == "refunds":
        n = expected.refund_headlines(marts, f)
        return {
            "Open refunds": ui.count(n["open_refunds"]),
            "Open > SLA": ui.count(n["open_over_sla"]),
            "Open amount (expected)": ui.money(n["open_expected_amount"]),
            "Refund accuracy": ui.percent(n["accuracy"]),
        }
    if page == "inventory":
        gaps = expected.gaps(marts, f)
        tiles = {k: ui.hours(v) for k, v in expected.latency_tiles(marts, f).items()}
        if len(gaps):
            tiles["Oversell-risk units"] = ui.count(gaps["oversell_risk_units"].sum())
            tiles["Hidden units"] = ui.count(gaps["hidden_units"].sum())
        platform = expected.platform_latency(marts)  # per file: the same under every filter
        if platform["files"]:
            tiles["Files timed"] = ui.count(platform["files"])
            tiles["Stock-moving files on a channel"] = (
                f"{platform['channel_files']} of {platform['stock_moving_files']}"
            )
            for latency, key in ((SERVING, "serving"), (CHANNEL, "channel")):
                for stat in ("p50", "p95", "max"):
                    tiles[f"{latency} {stat}"] = ui.seconds(platform[f"{key}_{stat}"])
        return tiles
    if page == "recovery":
        n = expected.recovery_headlines(marts, f)
        tiles = {
            "Units": ui.count(n["units"]),
            "Original value": ui.money(n["original_value"]),
            "Recovered value": ui.money(n["recovered_value"]),
            "Recovery rate": ui.percent(n["recovery_rate"]),
        }
        claims = expected.chargebacks(marts, f)
        if len(claims):
            tiles["Claimable"] = ui.money(claims["claimable_amount"].sum())
        return tiles
    if page == "exceptions":
        n = expected.exception_headlines(marts, f)
        return {
            "Open exceptions": ui.count(n["open_exceptions"]),
            "High severity": ui.count(n["high_severity"]),
            "Oldest open": ui.hours(n["oldest_age_hours"]),
        }
    if page == "writeback":
        n = expected.writeback_headlines(marts, f)
        return {
            "Corrections": ui.count(n["corrections"]),
            "Needing approval": ui.count(n["needs_approval"]),
            "Units to move": ui.count(n["units_to_move"]),
            "Value at stake": ui.money(n["value_at_stake"]),
        }
    raise KeyError(page)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_a_chart_and_no_error(served, page):
    at = run_page(page)

    assert len(at.get("plotly_chart")) >= 1
    assert not at.error
    assert at.title[0].value
    assert any("fixture-1" in caption.value for caption in at.caption)


@pytest.mark.parametrize("filters", list(URL_FILTERS))
@pytest.mark.parametrize("page", list(PAGES))
def test_headline_numbers_follow_the_url_filters(served, marts, page, filters):
    params = URL_FILTERS[filters]

    at = run_page(page, params)

    wanted = expected_metrics(page, marts, expected.filters_from_params(params))
    shown = metrics(at)
    assert {label: shown.get(label) for label in wanted} == wanted
    if page == "lifecycle":  # exactly one pair of tiles per channel with lines
        assert set(shown) == set(wanted)


@pytest.mark.parametrize("page", ["overview", "refunds", "recovery", "exceptions", "writeback"])
def test_changing_a_filter_changes_the_numbers_as_the_oracle_says(served, marts, page):
    at = run_page(page)
    before = metrics(at)

    at.multiselect(key="filter_channels").set_value(["zalando"]).run()

    assert not at.exception
    wanted = expected_metrics(page, marts, Filters(channels=("zalando",)))
    after = metrics(at)
    assert {label: after.get(label) for label in wanted} == wanted
    assert after != before
    assert at.query_params["channel"] == "zalando"


def test_overview_deltas_compare_with_the_previous_period(served, marts):
    at = run_page("overview")

    now = period_ending(expected.as_of(marts).date(), 7)
    current = expected.overview_kpis(marts, Filters(), now.start, now.end)
    before = expected.overview_kpis(marts, Filters(), now.previous().start, now.previous().end)
    shown = {m.label: m for m in at.metric}
    for kpi in KPIS:
        delta = ui.delta(current[kpi.name], before[kpi.name], kpi.unit) if kpi.has_history else None
        assert (shown[kpi.label].delta or None) == delta, kpi.name
    assert shown["Returns"].delta is not None


def test_overview_28_day_period(served, marts):
    at = run_page("overview")
    at.segmented_control(key="overview_period").set_value("28 days").run()

    period = period_ending(expected.as_of(marts).date(), 28)
    numbers = expected.overview_kpis(marts, Filters(), period.start, period.end)
    assert metrics(at)["Returns"] == ui.count(numbers["returns"])
    assert metrics(at)["Recovery rate"] == ui.percent(numbers["recovery_rate"])


def test_overview_shows_freshness(served):
    at = run_page("overview")

    shown = metrics(at)
    assert shown["Last publish"] == "2026-02-08 13:00"
    assert shown["Data's now (newest event)"] == "2026-02-08 12:00"
    freshness = at.dataframe[-1].value
    assert {"shopify", "amazon", "pos", "carrier", "wms", "finance", "channel_stock"} == set(
        freshness["source"]
    )


def test_url_seeds_the_sidebar_and_the_sidebar_writes_the_url(served):
    params = {"from": "2026-01-12", "to": "2026-01-25", "channel": "web", "node": "DC-EAST"}
    at = run_page("lifecycle", params)

    assert at.multiselect(key="filter_channels").value == ["web"]
    assert at.multiselect(key="filter_nodes").value == ["DC-EAST"]
    assert tuple(at.date_input(key="filter_dates").value) == (date(2026, 1, 12), date(2026, 1, 25))

    at.multiselect(key="filter_categories").set_value(["shoes", "jeans"]).run()
    at.multiselect(key="filter_nodes").set_value([]).run()

    assert at.query_params["from"] == "2026-01-12" and at.query_params["to"] == "2026-01-25"
    assert at.query_params["channel"] == "web"
    assert at.query_params["category"] == ["shoes", "jeans"]
    assert "node" not in at.query_params


def test_filters_stay_when_switching_pages(served, marts):
    at = run_page("lifecycle", {"channel": "amazon"})

    at.switch_page(PAGES["recovery"]).run()

    assert not at.exception
    wanted = expected_metrics("recovery", marts, Filters(channels=("amazon",)))
    assert {k: metrics(at).get(k) for k in wanted} == wanted
    assert at.query_params["channel"] == "amazon"


def test_unknown_url_values_are_ignored_with_a_warning(served, marts):
    # the warning belongs to the run that opens the link (later runs keep the sidebar's choice)
    at = run_page("overview", {"channel": ["web", "nowhere"], "from": "yesterday"})

    assert any("nowhere" in w.value for w in at.sidebar.warning)
    assert at.multiselect(key="filter_channels").value == ["web"]
    at.switch_page(PAGES["refunds"]).run()
    wanted = expected_metrics("refunds", marts, Filters(channels=("web",)))
    assert {k: metrics(at).get(k) for k in wanted} == wanted


def test_the_full_date_range_is_not_a_filter(served):
    at = run_page("lifecycle", {"from": "2026-01-01", "to": "2026-12-31"})

    assert "from" not in at.query_params and "to" not in at.query_params
    assert at.date_input(key="filter_dates").value == (date(2026, 1, 5), date(2026, 2, 8))


@pytest.mark.parametrize("page", list(PAGES))
def test_missing_snapshot_says_to_run_the_pipeline(returnops_home, page):
    at = run_page(page)

    assert any("returnops run" in info.value for info in at.info)
    assert not at.metric and not at.error


@pytest.mark.parametrize("page", list(PAGES))
def test_empty_marts_show_messages_not_tracebacks(publish_marts, page):
    publish_marts(tables={})

    at = run_page(page)

    assert at.info, "an empty snapshot should say there is nothing to show"
    assert not at.error


@pytest.mark.parametrize("page", list(PAGES))
def test_a_snapshot_without_the_new_marts_renders_every_page(publish_marts, marts, page):
    # what the pipeline publishes before the marts of issue 4 land: only the return lines
    keep = {"fct_return_lines", "rpt_cycle_time_by_channel"}
    publish_marts(omit=[t for t in expected_tables() if t not in keep])

    at = run_page(page)

    assert not at.error
    if page == "lifecycle":
        assert metrics(at) == expected_metrics("lifecycle", marts, Filters())
    else:
        assert any("not available in this snapshot" in info.value for info in at.info)


@pytest.mark.parametrize("page", list(PAGES))
def test_an_unreadable_snapshot_shows_an_error_not_a_traceback(serving_file, page):
    serving_file.parent.mkdir(parents=True)
    serving_file.write_bytes(b"not a duckdb file" * 100)

    at = run_page(page)

    assert at.error and "could not be read" in at.error[0].value


@pytest.mark.parametrize("page", ["lifecycle", "overview", "refunds"])
def test_old_schema_snapshot_still_serves_cycle_times(serving_file, page):
    """The snapshot today's pipeline publishes (columns before docs/marts.md)."""
    serving_file.parent.mkdir(parents=True)
    with duckdb.connect(str(serving_file)) as con:
        con.execute(
            "create table fct_return_lines (return_line_id varchar, channel varchar,"
            " initiated_at timestamp, refunded_at timestamp, cycle_time_hours double)"
        )
        con.execute(
            "insert into fct_return_lines values"
            " ('a', 'web', '2026-01-01', '2026-01-03', 48), ('b', 'web', '2026-01-02', null, null)"
        )
        con.execute(
            "create table rpt_cycle_time_by_channel as select channel, count(*) as return_lines,"
            " count(cycle_time_hours) as resolved_lines,"
            " median(cycle_time_hours) as median_cycle_time_hours,"
            " quantile_cont(cycle_time_hours, 0.9) as p90_cycle_time_hours"
            " from fct_return_lines group by channel"
        )

    at = run_page(page)

    assert not at.error
    if page == "lifecycle":
        assert metrics(at)["web median cycle time"] == "48.0 h"


def expected_tables() -> list[str]:
    from tests.dashboards.marts_fixture import CONTRACT

    return list(CONTRACT)
