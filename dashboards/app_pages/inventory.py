"""Inventory sync: how long until the system of record and the channels show a physical stock
move, where channels show more (oversell risk) or less (hidden stock) than they can promise, and
stock by state and node."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import inventory as q

version = ui.require_snapshot()
chosen = ui.page_header(
    "Inventory sync",
    version,
    "sync events by day, channel, node, category; stock gaps by channel and category; "
    "stock by node and category on the end date.",
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
