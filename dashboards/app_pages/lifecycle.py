"""Returns lifecycle: how long a return takes from initiation to resolution, per channel."""

import duckdb
import pandas as pd
import streamlit as st

from dashboards import charts, queries
from dashboards.serving import serving_path, snapshot_version


def hours(value: float | None) -> str:
    """Hours with one decimal; a dash when no line of the channel is resolved yet."""
    return "—" if pd.isna(value) else f"{value:.1f} h"


st.title("Returns lifecycle")

version = snapshot_version()
if version is None:
    st.info(
        f"No serving snapshot yet at `{serving_path()}`. "
        "Run `returnops run` to build the marts and publish one."
    )
    st.stop()

try:
    cycle_times = queries.cycle_time_by_channel(version)
    snapshot = queries.snapshot_info(version)
except duckdb.Error as exc:
    # A snapshot from an older or broken pipeline run: say so instead of showing a traceback.
    st.error(f"The serving snapshot at `{serving_path()}` could not be read: {exc}")
    st.stop()

if snapshot is not None:
    st.caption(
        f"Snapshot published {snapshot.published_at:%Y-%m-%d %H:%M:%S} (version {snapshot.version})"
    )

if cycle_times.empty:
    st.info("The snapshot has no return lines yet, so there are no cycle times to show.")
    st.stop()

st.subheader("Cycle time from initiation to resolution")
for column, row in zip(st.columns(len(cycle_times)), cycle_times.itertuples(), strict=True):
    with column:
        st.metric(f"{row.channel} median cycle time", hours(row.median_cycle_time_hours))
        st.metric(f"{row.channel} p90 cycle time", hours(row.p90_cycle_time_hours))

st.plotly_chart(charts.cycle_time_by_channel(cycle_times), width="stretch")

st.dataframe(
    cycle_times,
    hide_index=True,
    column_config={
        "channel": "Channel",
        "return_lines": st.column_config.NumberColumn("Return lines"),
        "resolved_lines": st.column_config.NumberColumn("Resolved lines"),
        "median_cycle_time_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
        "p90_cycle_time_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f"),
    },
)
