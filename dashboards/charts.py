"""Plotly figures built from query results; pure functions, no Streamlit and no I/O.

Every function takes the DataFrame a query in `dashboards.queries` returns and gives a figure;
an empty frame gives an empty figure with the same titles rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEIGHT = 380


def _layout(fig: go.Figure, title: str, **kwargs) -> go.Figure:
    fig.update_layout(
        title=title,
        legend_title_text="",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=kwargs.pop("height", HEIGHT),
        **kwargs,
    )
    return fig


def _floats(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Decimal money and nullable integers as floats, which Plotly draws."""
    out = df.copy()
    for column in columns:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def _orders(df: pd.DataFrame, *columns: str, **fixed: Sequence[str]) -> dict[str, list]:
    """Category orders for Plotly Express: fixed bucket orders, and the colour column sorted, so
    a channel or node keeps its colour from chart to chart."""
    orders: dict[str, list] = {name: list(values) for name, values in fixed.items()}
    for column in columns:
        if column in df.columns:
            orders[column] = sorted(df[column].dropna().astype(str).unique())
    return orders


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


# ---- overview ------------------------------------------------------------------------------------


def kpi_trends(
    df: pd.DataFrame,
    labels: dict[str, str],
    columns: int = 4,
    percent: Sequence[str] = (),
) -> go.Figure:
    """Small multiples, one weekly line per KPI (`week_start`, `kpi`, `value` in long format);
    the KPIs named in `percent` are rates drawn as percentages."""
    kpis = [k for k in labels if k in set(df["kpi"])] if not df.empty else []
    rows = max(1, math.ceil(len(kpis) / columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[labels[k] for k in kpis] or [""],
        vertical_spacing=0.18,
    )
    for i, kpi in enumerate(kpis):
        series = df[df["kpi"] == kpi]
        fig.add_trace(
            go.Scatter(
                x=series["week_start"],
                y=series["value"],
                mode="lines+markers",
                name=labels[kpi],
                showlegend=False,
            ),
            row=i // columns + 1,
            col=i % columns + 1,
        )
        if kpi in percent:
            fig.update_yaxes(tickformat=".0%", row=i // columns + 1, col=i % columns + 1)
    return _layout(fig, "Weekly trend (week starting)", height=260 * rows)


# ---- lifecycle -----------------------------------------------------------------------------------


def cycle_time_distribution(df: pd.DataFrame) -> go.Figure:
    """Resolved lines per whole day of cycle time, per channel (`cycle_time_days` columns)."""
    fig = px.bar(
        df, x="cycle_days", y="lines", color="channel", barmode="group",
        category_orders=_orders(df, "channel"),
    )  # fmt: skip
    return _layout(
        fig,
        "Distribution of cycle time (resolved lines)",
        xaxis_title="Cycle time (days, rounded down)",
        yaxis_title="Return lines",
    )


def stage_funnel(df: pd.DataFrame) -> go.Figure:
    """Lines reaching each lifecycle stage."""
    fig = go.Figure(go.Funnel(y=df["stage"], x=df["lines"], textinfo="value+percent initial"))
    return _layout(fig, "Lines reaching each stage")


def stage_waterfall(df: pd.DataFrame) -> go.Figure:
    """Median hours of each step from the stage before, stacked as a waterfall."""
    steps = df.dropna(subset=["median_hours_from_previous"])
    steps = steps[steps["lines"] > 0]
    fig = go.Figure(
        go.Waterfall(
            x=steps["stage"],
            y=steps["median_hours_from_previous"].astype(float),
            measure=["relative"] * len(steps),
            text=[f"{h:.1f} h" for h in steps["median_hours_from_previous"].astype(float)],
        )
    )
    return _layout(
        fig,
        "Median hours of each step (from the stage before)",
        yaxis_title="Hours",
        showlegend=False,
    )


def weekly_lines(df: pd.DataFrame) -> go.Figure:
    fig = px.line(
        df, x="week_start", y="lines_initiated", color="channel", markers=True,
        category_orders=_orders(df, "channel"),
    )  # fmt: skip
    return _layout(fig, "Return lines initiated per week", xaxis_title="Week", yaxis_title="Lines")


def weekly_cycle_time(df: pd.DataFrame) -> go.Figure:
    data = df.dropna(subset=["median_cycle_time_hours"])
    fig = px.line(
        data, x="week_start", y="median_cycle_time_hours", color="channel", markers=True,
        category_orders=_orders(df, "channel"),
    )  # fmt: skip
    return _layout(
        fig,
        "Median cycle time of lines resolved per week",
        xaxis_title="Week",
        yaxis_title="Hours",
    )


def breakdown_bars(df: pd.DataFrame, column: str, title: str) -> go.Figure:
    data = _floats(df, ["lines", "median_cycle_time_hours"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=data[column], y=data["lines"], name="Lines"))
    fig.add_trace(
        go.Scatter(
            x=data[column],
            y=data["median_cycle_time_hours"],
            name="Median cycle time (h)",
            mode="markers",
            marker={"size": 10},
        ),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="Lines", secondary_y=False)
    fig.update_yaxes(title_text="Hours", rangemode="tozero", secondary_y=True)
    return _layout(fig, title)


# ---- inspection ----------------------------------------------------------------------------------


def backlog_over_time(df: pd.DataFrame) -> go.Figure:
    fig = px.line(
        df, x="date_day", y="units_awaiting", color="node_id", markers=True,
        category_orders=_orders(df, "node_id"),
    )  # fmt: skip
    return _layout(
        fig, "Units awaiting inspection by facility", xaxis_title="Day", yaxis_title="Units"
    )


def sla_breaches_over_time(df: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        df, x="date_day", y="units_over_sla", color="node_id",
        category_orders=_orders(df, "node_id"),
    )  # fmt: skip
    return _layout(fig, "Units waiting longer than the SLA", xaxis_title="Day", yaxis_title="Units")


def ageing_bars(df: pd.DataFrame, order: Sequence[str]) -> go.Figure:
    fig = px.bar(
        df,
        x="age_bucket",
        y="units",
        color="node_id",
        category_orders=_orders(df, "node_id", age_bucket=order),
    )
    return _layout(fig, "Age of units awaiting inspection", xaxis_title="Age", yaxis_title="Units")


# ---- refunds -------------------------------------------------------------------------------------


def refunds_by_bucket(df: pd.DataFrame, order: Sequence[str]) -> go.Figure:
    fig = px.bar(
        df,
        x="ageing_bucket",
        y="refunds",
        color="channel",
        category_orders=_orders(df, "channel", ageing_bucket=order),
    )
    return _layout(
        fig,
        "Open refunds by days since receipt",
        xaxis_title="Days since receipt",
        yaxis_title="Open refunds",
    )


def refund_accuracy(df: pd.DataFrame) -> go.Figure:
    data = _floats(df, ["accuracy", "over_refunded", "under_refunded"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=data["channel"], y=data["over_refunded"], name="Over-refunded"))
    fig.add_trace(go.Bar(x=data["channel"], y=data["under_refunded"], name="Under-refunded"))
    fig.add_trace(
        go.Scatter(
            x=data["channel"],
            y=data["accuracy"],
            name="Accurate share",
            mode="markers",
            marker={"size": 12},
        ),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="Money", secondary_y=False)
    fig.update_yaxes(
        title_text="Accurate share", tickformat=".0%", rangemode="tozero", secondary_y=True
    )
    return _layout(fig, "Refund accuracy by channel", barmode="group")


# ---- inventory -----------------------------------------------------------------------------------


def latency_distribution(df: pd.DataFrame, order: Sequence[str]) -> go.Figure:
    fig = px.bar(
        df,
        x="bucket",
        y="events",
        color="channel",
        facet_col="latency",
        barmode="group",
        category_orders=_orders(df, "channel", bucket=order),
        labels={"bucket": "Latency", "events": "Events"},
    )
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _layout(fig, "Latency from the physical event")


def platform_latency(df: pd.DataFrame, width: float, targets: dict[str, float]) -> go.Figure:
    """Files per bin of seconds from landing, one overlaid series per latency (`latency`,
    `bin_start`, `files`, bins `width` seconds wide), each latency's p95 target a dashed line."""
    fig = go.Figure()
    df = _floats(df, ["bin_start", "files"])
    for latency in [*targets, *sorted(set(df["latency"]) - set(targets))]:
        part = df[df["latency"] == latency]
        if len(part):
            fig.add_trace(
                go.Bar(
                    name=latency,
                    x=part["bin_start"] + width / 2,
                    y=part["files"],
                    width=width,
                    opacity=0.6,
                    hovertemplate=f"{latency}: %{{y}} files<extra></extra>",
                )
            )
    for n, (latency, target) in enumerate(targets.items()):
        fig.add_vline(
            x=target,
            line_dash="dash",
            annotation_text=f"{latency} p95 target {target:g} s",
            annotation_position="top right" if n % 2 else "top left",
        )
    return _layout(
        fig,
        "Platform latency per landed file",
        barmode="overlay",
        bargap=0,
        xaxis_title="Seconds from landing",
        yaxis_title="Files",
    )


def stock_gaps_by_channel(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        [
            go.Bar(name="Oversell risk", x=df["channel"], y=df["oversell_risk_units"]),
            go.Bar(name="Hidden stock", x=df["channel"], y=df["hidden_units"]),
        ]
    )
    return _layout(
        fig,
        "Published vs available to promise",
        barmode="group",
        xaxis_title="Channel",
        yaxis_title="Units",
    )


def stock_by_state(df: pd.DataFrame) -> go.Figure:
    fig = px.bar(
        _floats(df, ["units"]), x="node_id", y="units", color="state",
        category_orders=_orders(df, "state"),
    )  # fmt: skip
    return _layout(fig, "Stock by state and node", xaxis_title="Node", yaxis_title="Units")


# ---- recovery ------------------------------------------------------------------------------------


def recovery_by(df: pd.DataFrame, column: str, title: str) -> go.Figure:
    data = _floats(df, ["original_value", "recovered_value", "recovery_rate"])
    x = data[column].astype(str)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=x, y=data["original_value"], name="Original value"))
    fig.add_trace(go.Bar(x=x, y=data["recovered_value"], name="Recovered value"))
    fig.add_trace(
        go.Scatter(x=x, y=data["recovery_rate"], name="Recovery rate", mode="lines+markers"),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="Value", secondary_y=False)
    fig.update_yaxes(
        title_text="Recovery rate", tickformat=".0%", rangemode="tozero", secondary_y=True
    )
    return _layout(fig, title, barmode="group")


def recovery_monthly(df: pd.DataFrame) -> go.Figure:
    data = _floats(df, ["recovered_value"])
    fig = px.bar(
        data, x="month_start", y="recovered_value", color="disposition",
        category_orders=_orders(df, "disposition"),
    )  # fmt: skip
    return _layout(
        fig, "Recovered value per month and disposition", xaxis_title="Month", yaxis_title="Value"
    )


# ---- exceptions and write-back -------------------------------------------------------------------


def counts_bar(df: pd.DataFrame, column: str, value: str, title: str) -> go.Figure:
    fig = px.bar(df, x=column, y=value)
    return _layout(fig, title, xaxis_title="", yaxis_title=value.replace("_", " ").capitalize())


def exceptions_by_type_and_age(df: pd.DataFrame, order: Sequence[str]) -> go.Figure:
    fig = px.bar(
        df,
        x="exception_type",
        y="exceptions",
        color="age_bucket",
        category_orders={"age_bucket": list(order)},
    )
    return _layout(fig, "Open exceptions by type and age", xaxis_title="", yaxis_title="Open")


def corrections_by_channel(df: pd.DataFrame) -> go.Figure:
    data = df.assign(
        direction=df["delta"].map(lambda d: "raise" if d > 0 else "lower"),
        units=df["delta"].abs(),
    )
    grouped = data.groupby(["channel", "direction"], as_index=False)["units"].sum()
    fig = px.bar(grouped, x="channel", y="units", color="direction", barmode="group")
    return _layout(
        fig,
        "Units to correct per channel (raise or lower what it shows)",
        xaxis_title="Channel",
        yaxis_title="Units",
    )
