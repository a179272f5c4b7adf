"""Recovery: value recovered by disposition, category, channel and month, supplier chargeback
opportunities, and the planners' exports of exactly what is on screen."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import recovery as q

version = ui.require_snapshot()
chosen = ui.page_header(
    "Recovery",
    version,
    "months overlapping the date range, channel and category (the mart has no node).",
)

rows = None
with ui.section("Recovery"):
    rows = q.recovery_rows(version, chosen)
if rows is None:
    st.stop()

totals = q.totals(rows)
cols = st.columns(4)
cols[0].metric("Units", ui.count(totals["units"]))
cols[1].metric("Original value", ui.money(totals["original_value"]))
cols[2].metric("Recovered value", ui.money(totals["recovered_value"]))
cols[3].metric("Recovery rate", ui.percent(totals["recovery_rate"]))

if rows.empty:
    st.info("No recovery figures for this selection.")
else:
    by = st.segmented_control(
        "Recovery by", list(q.GROUPINGS), default="disposition", key="recovery_by"
    )
    by = by or "disposition"
    summary = q.summarise(rows, by)
    ui.chart(charts.recovery_by(summary, q.GROUPINGS[by], f"Recovery by {by}"))
    ui.chart(charts.recovery_monthly(rows))

st.subheader("Recovery rows")
st.caption(
    "The rows behind the figures above, with the filters applied; the downloads hold exactly "
    "these rows (also from the command line: `returnops export recovery`)."
)
ui.table(
    rows,
    column_config={
        "month_start": st.column_config.DateColumn("Month", format="YYYY-MM"),
        "recovery_rate": st.column_config.NumberColumn("Recovery rate", format="percent"),
    },
)
ui.download_buttons(rows, "recovery", "recovery", sheet_name="recovery")

st.subheader("Supplier chargeback opportunities")
with ui.section("Chargeback opportunities"):
    claims = q.chargebacks(version, chosen)
    if claims.empty:
        st.info("No chargeback opportunities for this selection.")
    else:
        st.metric("Claimable", ui.money(claims["claimable_amount"].astype(float).sum()))
        ui.table(claims)
    ui.download_buttons(claims, "chargeback_opportunities", "chargebacks", sheet_name="chargebacks")
