"""Refunds: open refunds by ageing bucket and channel, refund accuracy, the slowest refunds."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import refunds as q

version = ui.require_snapshot()
chosen = ui.page_header("Refunds", version, "refunds by receipt date, channel, node and category.")

with ui.section("Refunds"):
    summary = q.summary(version, chosen)
    cols = st.columns(4)
    cols[0].metric("Open refunds", ui.count(summary["open_refunds"]))
    cols[1].metric("Open > SLA", ui.count(summary["open_over_sla"]))
    cols[2].metric("Open amount (expected)", ui.money(summary["open_expected_amount"]))
    cols[3].metric(
        "Refund accuracy",
        ui.percent(summary["accuracy"]),
        help="Share of resolved refunds within 0.01 of what the policy expects.",
    )
    if summary["as_of"] is not None:
        st.caption(f"Ageing as of {ui.timestamp(summary['as_of'])} (the newest event).")

st.subheader("Open refunds by age")
with ui.section("Open refunds by age"):
    buckets = q.open_by_bucket(version, chosen)
    if buckets.empty:
        st.info("No open refunds for this selection.")
    else:
        ui.chart(charts.refunds_by_bucket(buckets, q.AGEING_BUCKETS))
        ui.table(buckets)

st.subheader("Accuracy")
with ui.section("Accuracy"):
    accuracy = q.accuracy_by_channel(version, chosen)
    if accuracy.empty:
        st.info("No resolved refunds for this selection.")
    else:
        ui.chart(charts.refund_accuracy(accuracy))
        ui.table(
            accuracy,
            column_config={
                "accuracy": st.column_config.NumberColumn("Accuracy", format="percent"),
            },
        )

st.subheader("Slowest refunds")
with ui.section("Slowest refunds"):
    slowest = q.slowest(version, chosen)
    ui.table(slowest)
    ui.download_buttons(slowest, "refunds_slowest", "refunds_slowest", ("csv",))
