"""Inspection backlog: units waiting for inspection by facility over time, how old they are, the
oldest ones, and SLA breaches."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import inspection as q

version = ui.require_snapshot()
chosen = ui.page_header(
    "Inspection backlog",
    version,
    "days and facilities; channel and category apply to the ageing and oldest items only.",
)

with ui.section("Backlog now"):
    at_end = q.backlog_at_end(version, chosen)
    if at_end.empty:
        st.info("No inspection backlog in this snapshot for this selection.")
    else:
        numbers = q.headlines(version, chosen)
        day = at_end["date_day"].max()
        cols = st.columns(4)
        cols[0].metric("Units awaiting inspection", ui.count(numbers["units_awaiting"]))
        cols[1].metric("Units over SLA", ui.count(numbers["units_over_sla"]))
        cols[2].metric("Oldest waiting", ui.hours(numbers["oldest_age_hours"]))
        cols[3].metric("Facilities", ui.count(at_end["node_id"].nunique()))
        st.caption(f"At the end of {day:%Y-%m-%d}.")
        ui.table(
            at_end.drop(columns=["date_day"]),
            column_config={
                "oldest_age_hours": st.column_config.NumberColumn("Oldest (h)", format="%.1f"),
            },
        )

st.subheader("Over time")
with ui.section("Backlog over time"):
    daily = q.backlog_daily(version, chosen)
    if daily.empty:
        st.info("No days with a backlog for this selection.")
    else:
        left, right = st.columns(2)
        with left:
            ui.chart(charts.backlog_over_time(daily))
        with right:
            ui.chart(charts.sla_breaches_over_time(daily))

st.subheader("Ageing")
with ui.section("Ageing"):
    ages = q.ageing(version, chosen)
    if ages.empty:
        st.info("Nothing is waiting for inspection for this selection.")
    else:
        ui.chart(charts.ageing_bars(ages, q.AGE_BUCKETS))

st.subheader("Oldest items waiting")
with ui.section("Oldest items"):
    oldest = q.oldest(version, chosen)
    ui.table(
        oldest,
        column_config={"age_hours": st.column_config.NumberColumn("Age (h)", format="%.1f")},
    )
    ui.download_buttons(oldest, "inspection_oldest", "inspection_oldest", ("csv",))
