"""Plotly figures built from query results; pure functions, no Streamlit and no I/O."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def cycle_time_by_channel(df: pd.DataFrame) -> go.Figure:
    """Grouped bars of median and p90 return cycle time per channel, in hours.

    Expects the columns of `queries.cycle_time_by_channel`.
    """
    fig = go.Figure(
        [
            go.Bar(name="Median", x=df["channel"], y=df["median_cycle_time_hours"]),
            go.Bar(name="p90", x=df["channel"], y=df["p90_cycle_time_hours"]),
        ]
    )
    fig.update_layout(
        barmode="group",
        title="Return cycle time by channel",
        xaxis_title="Channel",
        yaxis_title="Cycle time (hours)",
        legend_title_text="",
    )
    return fig
