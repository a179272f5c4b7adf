"""Overview: the headline KPIs with their change against the previous period, their weekly
trends, and how fresh the data is."""

import streamlit as st

from dashboards import charts, queries, ui
from dashboards.queries.overview import KPIS, period_ending

PERIODS = {"7 days": 7, "28 days": 28}

version = ui.require_snapshot()
chosen = ui.page_header(
    "Overview",
    version,
    "KPIs for the period ending at the end date; each mart applies the filters it has.",
)

options = as_of = None
with ui.section("Overview"):
    options = queries.common.filter_options(version)
    as_of = queries.common.as_of(version)
if options is None:
    st.stop()
end = queries.overview.kpi_end(chosen, options, as_of)
if end is None:
    st.info("The snapshot has no return lines yet, so there is nothing to summarise.")
    st.stop()

period_name = st.segmented_control(
    "KPI period", list(PERIODS), default="7 days", key="overview_period"
)
days = PERIODS.get(period_name or "7 days", 7)
current = period_ending(end, days)
previous = current.previous()
st.caption(f"{current.start} to {current.end}, compared with {previous.start} to {previous.end}.")

with ui.section("KPIs"):
    now = queries.overview.kpis(version, chosen, current)
    before = queries.overview.kpis(version, chosen, previous)
    for row_start in range(0, len(KPIS), 4):
        for column, kpi in zip(st.columns(4), KPIS[row_start : row_start + 4], strict=False):
            with column:
                value, earlier = now[kpi.name], before[kpi.name]
                note = now.missing.get(kpi.name)
                change = ui.delta(value, earlier, kpi.unit) if kpi.has_history else None
                st.metric(
                    kpi.label,
                    ui.FORMATTERS[kpi.unit](value),
                    delta=change,
                    delta_color=ui.delta_color(value, earlier, kpi.higher_is_better),
                    help=kpi.help + (f" Not in this snapshot: {note}" if note else ""),
                    border=True,
                )
    unavailable = [kpi.label for kpi in KPIS if kpi.name in now.missing]
    if unavailable:
        st.info(
            f"KPIs not available in this snapshot yet: {', '.join(unavailable)} (their marts "
            "are not published yet; the tiles' help says which)."
        )

st.subheader("Trends")
with ui.section("Trends"):
    window = queries.overview.trend_window(chosen, options, end)
    trend = queries.overview.trends(version, chosen, window)
    if trend.empty:
        st.info("No weekly figures for this selection.")
    else:
        labels = {kpi.name: kpi.label for kpi in KPIS}
        rates = [kpi.name for kpi in KPIS if kpi.unit == "rate"]
        ui.chart(charts.kpi_trends(trend, labels, percent=rates))
        st.caption(
            "Oversell-risk units have no history (the stock-gap mart holds the latest snapshot)."
        )

st.subheader("Freshness")
with ui.section("Freshness"):
    info = queries.snapshot_info(version)
    fresh = queries.common.freshness(version)
    cols = st.columns(3)
    cols[0].metric("Last publish", ui.timestamp(info.published_at if info else None))
    cols[1].metric("Data's now (newest event)", ui.timestamp(as_of))
    cols[2].metric("Sources seen", ui.count(len(fresh)))
    if fresh.empty:
        st.info("No source has events in this snapshot yet.")
    else:
        ui.table(
            fresh,
            column_config={
                "source": "Source",
                "newest_occurred_at": st.column_config.DatetimeColumn("Newest event (UTC)"),
                "newest_recorded_at": st.column_config.DatetimeColumn("Newest recorded"),
                "newest_loaded_at": st.column_config.DatetimeColumn("Newest loaded"),
            },
        )
