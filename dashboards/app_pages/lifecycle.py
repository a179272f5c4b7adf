"""Returns lifecycle: how long a return takes from initiation to resolution, per channel, where
the time goes, how it moves week by week, by reason and category, down to the lines."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import lifecycle as q

version = ui.require_snapshot()
chosen = ui.page_header(
    "Returns lifecycle",
    version,
    "lines by initiation date, channel, receiving node and category.",
)

cycle_times = None
with ui.section("Cycle time by channel"):
    cycle_times = q.cycle_time_by_channel(version, chosen)

if cycle_times is None:
    st.stop()
if cycle_times.empty:
    if chosen.active:
        st.info("No return lines match the filters.")
    else:
        st.info("The snapshot has no return lines yet, so there are no cycle times to show.")
    st.stop()

st.subheader("Cycle time from initiation to resolution")
for column, row in zip(st.columns(len(cycle_times)), cycle_times.itertuples(), strict=True):
    with column:
        st.metric(f"{row.channel} median cycle time", ui.hours(row.median_cycle_time_hours))
        st.metric(f"{row.channel} p90 cycle time", ui.hours(row.p90_cycle_time_hours))

ui.chart(charts.cycle_time_by_channel(cycle_times))

ui.table(
    cycle_times,
    column_config={
        "channel": "Channel",
        "return_lines": st.column_config.NumberColumn("Return lines"),
        "resolved_lines": st.column_config.NumberColumn("Resolved lines"),
        "median_cycle_time_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
        "p90_cycle_time_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
    },
)

with ui.section("Cycle time distribution"):
    distribution = q.cycle_time_days(version, chosen)
    if not distribution.empty:
        ui.chart(charts.cycle_time_distribution(distribution))

st.subheader("Where the time goes")
with ui.section("Stage durations"):
    stages = q.stage_funnel(version, chosen)
    left, right = st.columns(2)
    with left:
        ui.chart(charts.stage_funnel(stages))
    with right:
        ui.chart(charts.stage_waterfall(stages))
    st.caption(
        "Each step's median is over the lines that reached both stages; medians of steps need "
        "not add up to the median cycle time."
    )

st.subheader("Week by week")
with ui.section("Weekly trend"):
    weekly = q.weekly(version, chosen)
    if weekly.empty:
        st.info("No weeks with returns for this selection.")
    else:
        left, right = st.columns(2)
        with left:
            ui.chart(charts.weekly_lines(weekly))
        with right:
            ui.chart(charts.weekly_cycle_time(weekly))

st.subheader("By reason and category")
with ui.section("Breakdown"):
    by = st.segmented_control(
        "Break down by", list(q.BREAKDOWNS), default="reason", key="lifecycle_breakdown"
    )
    by = by or "reason"
    column = q.BREAKDOWNS[by]
    breakdown = q.breakdown(version, chosen, by)
    ui.chart(charts.breakdown_bars(breakdown, column, f"Return lines and cycle time by {by}"))
    ui.table(
        breakdown,
        column_config={
            "median_cycle_time_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
            "p90_cycle_time_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
            "refund_amount": st.column_config.NumberColumn("Refunded", format="%.2f"),
        },
    )

st.subheader("Return lines")
with ui.section("Return lines"):
    reasons = q.breakdown(version, chosen, "reason")["reason_code"].tolist()
    left, right = st.columns(2)
    reason = left.selectbox("Reason", ["(all)", *reasons], key="lifecycle_reason")
    status = right.selectbox(
        "Status", ["(all)", *q.statuses(version, chosen)], key="lifecycle_status"
    )
    lines, total = q.return_lines(
        version,
        chosen,
        None if reason == "(all)" else reason,
        None if status == "(all)" else status,
    )
    ui.table(lines)
    ui.truncated(len(lines), total, "return lines (slowest first)")
    ui.download_buttons(lines, "return_lines", "lifecycle_lines", sheet_name="return_lines")
