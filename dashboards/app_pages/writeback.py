"""Write-back: the stock corrections to push to the channels, where each one is (pending,
needing approval, sent, conflict, failed) with its audit trail, and the operator's approve or
reject, written as an approval event file into the landing zone (DESIGN §2)."""

import pandas as pd
import streamlit as st

from dashboards import approvals, charts, ui
from dashboards.queries import writeback as q
from dashboards.serving import landing_path

ROLES = ("operator", "supervisor", "inventory_manager")
DECISION_CHOICES = 200  # the corrections offered in the form: the largest by value at stake

version = ui.require_snapshot()
chosen = ui.page_header(
    "Write-back", version, "corrections by channel, category and node (of the location)."
)

corrections = None
with ui.section("Stock corrections"):
    corrections = q.corrections(version, chosen)
if corrections is None:
    st.stop()

outbox = audit = None
with ui.section("Outbox"):
    outbox = q.outbox(version, chosen)
    audit = q.audit(version, chosen)

numbers = q.headlines(version, chosen)
needing = corrections[corrections["needs_approval"].fillna(False).astype(bool)]
cols = st.columns(4)
cols[0].metric("Corrections", ui.count(numbers["corrections"]))
cols[1].metric("Needing approval", ui.count(numbers["needs_approval"]))
cols[2].metric("Units to move", ui.count(numbers["units_to_move"]))
cols[3].metric("Value at stake", ui.money(numbers["value_at_stake"]))

if outbox is None:
    st.info(
        "The write-back outbox is not in this snapshot yet: below are the corrections the marts "
        "propose. Their progress (pending, sent, conflicts, failures) shows here once the "
        "pipeline publishes `writeback_outbox` and `writeback_audit`."
    )
else:
    counts = q.status_counts(outbox)
    if not counts.empty:
        status_cols = st.columns(len(counts))
        for column, row in zip(status_cols, counts.itertuples(), strict=True):
            column.metric(row.status.capitalize(), ui.count(row.corrections))
        ui.chart(charts.counts_bar(counts, "status", "corrections", "Outbox by status"))

if corrections.empty:
    st.info("No stock corrections for this selection: every channel shows what it should.")
else:
    ui.chart(charts.corrections_by_channel(corrections))

tab_names = ["Needing approval", "All corrections"]
if outbox is not None:
    tab_names += ["Outbox"]
if audit is not None:
    tab_names += ["Audit trail"]
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))
with tabs["Needing approval"]:
    ui.table(needing)
with tabs["All corrections"]:
    ui.table(corrections)
    ui.download_buttons(corrections, "stock_corrections", "corrections", ("csv",))
if outbox is not None:
    with tabs["Outbox"]:
        statuses = ["(all)"]
        if "status" in outbox.columns:
            statuses += list(q.status_counts(outbox)["status"])
        status = st.selectbox("Status", statuses, key="writeback_status")
        shown = outbox if status == "(all)" else outbox[outbox["status"] == status]
        ui.table(shown)
if audit is not None:
    with tabs["Audit trail"]:
        audited = audit
        if "correction_id" in audit.columns and len(audit):
            ids = ["(all)", *sorted(audit["correction_id"].dropna().astype(str).unique())]
            picked = st.selectbox("Correction", ids, key="writeback_audit_correction")
            if picked != "(all)":
                audited = audit[audit["correction_id"].astype(str) == picked]
        ui.table(audited)

st.subheader("Approve or reject")
if needing.empty:
    st.caption("No correction needs an operator's approval.")
else:
    offered = needing.head(DECISION_CHOICES)
    with st.form("decision", clear_on_submit=False):
        ids = st.multiselect(
            "Corrections",
            offered["correction_id"].tolist(),
            key="decision_corrections",
            help=f"The {len(offered)} largest by value at stake that need approval.",
        )
        left, right = st.columns(2)
        operator = left.text_input("Operator", key="decision_operator")
        role = right.selectbox("Role", ROLES, key="decision_role")
        note = st.text_area("Note", key="decision_note")
        approve_col, reject_col = st.columns(2)
        approve = approve_col.form_submit_button("Approve", type="primary", key="decision_approve")
        reject = reject_col.form_submit_button("Reject", key="decision_reject")
    if approve or reject:
        try:
            written = approvals.record_decision(
                landing_path(),
                operator=operator,
                role=role,
                decision="approve" if approve else "reject",
                correction_ids=ids,
                note=note,
            )
        except ValueError as exc:
            st.error(f"Not recorded: {exc}.")
        except OSError as exc:
            st.error(f"The decision could not be written to the landing zone: {exc}")
        else:
            verb = "Approval" if approve else "Rejection"
            st.success(
                f"{verb} of {len(ids)} correction(s) written to `{written}`; the next pipeline "
                "run ingests it."
            )

decided = approvals.written_decisions(landing_path())
if decided:
    st.caption("Decisions written from the dashboard (newest first; ingested by the next run)")
    ui.table(pd.DataFrame(decided))
