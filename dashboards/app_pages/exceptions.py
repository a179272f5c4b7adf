"""Exceptions: open exceptions by type, owner role and age, with the rows behind them."""

import streamlit as st

from dashboards import charts, ui
from dashboards.queries import exceptions as q

version = ui.require_snapshot()
chosen = ui.page_header(
    "Exceptions", version, "exceptions by detection date, channel, node and category."
)

with ui.section("Open exceptions"):
    summary = q.open_summary(version, chosen)
    numbers = q.headlines(version, chosen)
    cols = st.columns(3)
    cols[0].metric("Open exceptions", ui.count(numbers["open_exceptions"]))
    cols[1].metric("High severity", ui.count(numbers["high_severity"]))
    cols[2].metric("Oldest open", ui.hours(numbers["oldest_age_hours"]))
    if summary.empty:
        st.info("No open exceptions for this selection.")
    else:
        ui.chart(
            charts.exceptions_by_type_and_age(
                summary.groupby(["exception_type", "age_bucket"], as_index=False)[
                    "exceptions"
                ].sum(),
                q.AGE_BUCKETS,
            )
        )
        left, right = st.columns(2)
        with left:
            ui.chart(
                charts.counts_bar(
                    q.by(summary, "owner_role"), "owner_role", "exceptions", "By owner role"
                )
            )
        with right:
            ui.chart(
                charts.counts_bar(
                    q.by(summary, "age_bucket", q.AGE_BUCKETS), "age_bucket", "exceptions", "By age"
                )
            )

        st.subheader("The exceptions")
        types = sorted(summary["exception_type"].unique())
        roles = sorted(summary["owner_role"].dropna().unique())
        left, right = st.columns(2)
        exception_type = left.selectbox("Type", ["(all)", *types], key="exceptions_type")
        owner_role = right.selectbox("Owner role", ["(all)", *roles], key="exceptions_role")
        rows, total = q.open_rows(
            version,
            chosen,
            None if exception_type == "(all)" else exception_type,
            None if owner_role == "(all)" else owner_role,
        )
        ui.table(
            rows,
            column_config={"age_hours": st.column_config.NumberColumn("Age (h)", format="%.1f")},
        )
        ui.truncated(len(rows), total, "open exceptions (oldest first)")
        ui.download_buttons(rows, "exceptions", "exceptions", ("csv", "xlsx"))
