"""Inventory sync: how long until the system of record and the channels show a physical stock
move, how long the platform itself takes from a file landing to the dashboards and to the
channels, where channels show more (oversell risk) or less (hidden stock) than they can promise,
and stock by state and node."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import inventory as q


def latency_tiles(columns, numbers: dict, latency: str, key: str, target: float) -> None:
    """p50, p95 (against its target) and max of one platform latency, one tile each."""
    p95 = numbers[f"{key}_p95"]
    columns[0].metric(f"{latency} p50", ui.seconds(numbers[f"{key}_p50"]))
    columns[1].metric(
        f"{latency} p95",
        ui.seconds(p95),
        delta=None if p95 is None else f"{p95 - target:+,.1f} s vs target",
        delta_color="inverse",
        help=f"Target: p95 ≤ {target:g} s.",
    )
    columns[2].metric(f"{latency} max", ui.seconds(numbers[f"{key}_max"]))


version = ui.require_snapshot()
chosen = ui.page_header(
    "Inventory sync",
    version,
    "sync events by day, channel, node, category; stock gaps by channel and category; "
    "stock by node and category on the end date; platform latency: every loaded file.",
)

st.subheader("Sync latency")
with ui.section("Sync latency"):
    latency = q.latency_by_channel(version, chosen)
    if latency.empty:
        st.info("No inventory-affecting events for this selection.")
    else:
        cols = st.columns(len(latency))
        for column, row in zip(cols, latency.itertuples(), strict=True):
            column.metric(
                f"{row.channel} median channel latency",
                ui.hours(row.median_channel_latency_hours),
            )
            column.metric(
                f"{row.channel} median SoR latency", ui.hours(row.median_sor_latency_hours)
            )
        distribution = q.latency_distribution(version, chosen)
        ui.chart(charts.latency_distribution(distribution, q.LATENCY_BUCKETS))
        ui.table(latency)

st.subheader("Platform latency")
with ui.section("Platform latency"):
    # Unfiltered on purpose (see dashboards/queries/inventory.py): the latency is per landed file,
    # not per return, and the sidebar's dates are of business events, not of the platform's clock.
    platform = q.platform_latency(version)
    if not platform["files"]:
        st.info(
            "No landed file has been timed yet: the platform's own latency appears once the "
            "pipeline has loaded files and published a snapshot after them."
        )
    else:
        st.caption(
            "Per loaded file, over every file (the sidebar's filters do not apply: a file is not "
            "of one channel, node or category, and it lands on the platform's clock): from "
            "landing (the file's mtime) to the first serving snapshot after its load, and, for "
            "files that move stock, to the first write-back ack enqueued after its load. "
            f"Targets: p95 ≤ {q.SERVING_TARGET_SECONDS:g} s to serving, "
            f"≤ {q.CHANNEL_TARGET_SECONDS:g} s to the channel."
        )
        serving = st.columns(4)
        serving[0].metric("Files timed", ui.count(platform["files"]))
        latency_tiles(serving[1:], platform, q.SERVING, "serving", q.SERVING_TARGET_SECONDS)
        channel = st.columns(4)
        channel[0].metric(
            "Stock-moving files on a channel",
            f"{ui.count(platform['channel_files'])} of {ui.count(platform['stock_moving_files'])}",
            help="The others move stock too, but no write-back ack has followed their load yet.",
        )
        latency_tiles(channel[1:], platform, q.CHANNEL, "channel", q.CHANNEL_TARGET_SECONDS)
        width = q.bin_width(platform)
        histogram = q.platform_latency_histogram(version, width)
        ui.chart(charts.platform_latency(histogram, width, q.TARGETS))

st.subheader("Oversell risk and hidden stock")
with ui.section("Stock gaps"):
    gaps = q.gaps_by_channel(version, chosen)
    if gaps.empty:
        st.info("No published stock for this selection.")
    else:
        cols = st.columns(2)
        cols[0].metric("Oversell-risk units", ui.count(gaps["oversell_risk_units"].sum()))
        cols[1].metric("Hidden units", ui.count(gaps["hidden_units"].sum()))
        ui.chart(charts.stock_gaps_by_channel(gaps))
        ui.table(gaps)
        st.caption("SKUs with the largest gaps")
        by_sku = q.gaps_by_sku(version, chosen)
        ui.table(by_sku)
        ui.download_buttons(by_sku, "stock_gaps", "inventory_gaps", ("csv",))

st.subheader("Stock by state and node")
with ui.section("Stock by state"):
    stock = q.stock_by_state(version, chosen)
    if stock.empty:
        st.info("No stock positions for this selection.")
    else:
        ui.chart(charts.stock_by_state(stock))
        pivot = stock.pivot_table(index="node_id", columns="state", values="units", fill_value=0)
        ui.table(pivot.reset_index())
