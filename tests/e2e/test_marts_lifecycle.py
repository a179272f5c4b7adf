"""The return-lifecycle marts of the acceptance run (`returnops simulate --days 60 --seed 7`,
then `returnops run`: the `acceptance_home` fixture) against the simulator's truth.

Every expectation here is computed from the simulator's truth files (and the seeds both sides
read) with plain pandas, never through the models' SQL:

- `fct_return_lines` equals `truth/return_lines.parquet` column by column (money as exact
  decimal text), one row per true line: duplicate and late webhooks, back-dated reports,
  malformed rows and truncated re-deliveries neither add nor drop a line nor double a refund;
- stage durations and cycle times are the truth's timestamps subtracted;
- `fct_inspection_backlog` equals `truth/inspection_backlog.parquet` per DC and day;
- the open refunds and their ageing buckets equal the truth's lines received and not resolved,
  aged to as_of (the end of the simulated window: the last day's 23:59:59 stock snapshot);
- `fct_return_exceptions` holds exactly the exceptions the truth implies (EXPECTED_EXCEPTIONS
  below), and every problem the simulator injected is found as its exception type.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.defs.quality.expectations import (
    LIFECYCLE_SUITES,
    RECOVERY_SUITES,
    validate_table_suites,
)
from tests.dashboards.marts_fixture import CONTRACT
from tests.e2e.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

SEEDS = REPO_ROOT / "dbt_project" / "seeds"
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
STAGES = [
    "initiated_at", "label_created_at", "in_transit_at", "delivered_at", "received_at",
    "inspected_at", "inventory_updated_at", "resolved_at",
]  # fmt: skip
TRUTH_COLUMNS = [
    "return_id", "source", "channel", "order_id", "sku", "category", "quantity", "reason_code",
    "source_reason_code", "region", "customer_segment", "within_window", "node_id", *STAGES,
    "grade", "disposition", "target_state", "resolution", "refund_amount", "expected_refund",
    "status",
]  # fmt: skip
LIFECYCLE_MARTS = (
    "fct_return_lines", "fct_refunds", "fct_inspection_backlog", "fct_return_exceptions",
    "fct_recovery", "fct_chargeback_opportunities", "dim_products", "dim_nodes", "dim_channels",
    "dim_dates", "rpt_cycle_time_by_channel", "rpt_sales_daily",
)  # fmt: skip

# What becomes of each problem type of truth/problems.parquet:
# FOUND_AS: the exception type (and SLA metric) that must report it;
# ABSORBED: problems the pipeline must neutralise, shown by the exact line-level equality;
# ELSEWHERE: reported by another mart family (tests/e2e/test_marts_inventory.py).
FOUND_AS = {
    "restock_before_inspection": ("restocked_before_inspection", None),
    "restocked_unit_sold_before_inspection": ("restocked_before_inspection", None),
    "refund_over_policy": ("refund_over_policy", None),
    "inspection_backlog": ("stage_sla_breach", "stage_received_to_inspected"),
    "pos_end_of_day_batch": ("stage_sla_breach", "inventory_sor_latency"),
}
ABSORBED = {
    "duplicate_webhook", "late_duplicate_webhook", "backdated_report_row", "malformed_row",
    "truncated_file",
}  # fmt: skip
ELSEWHERE = {"channel_stock_lag": "fct_channel_stock_gaps"}


# ---------------------------------------------------------------------------- reading


def truth(home: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "truth" / f"{name}.parquet")


def serving(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def warehouse(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def money_text(values: pd.Series) -> pd.Series:
    """Decimal money as exact text ('12.30'), None for missing: compared without floats."""
    return values.map(lambda v: None if v is None or pd.isna(v) else f"{Decimal(v):.2f}")


def as_of(home: Path) -> pd.Timestamp:
    """The end of the simulated window: the last day's published stock snapshot, 23:59:59
    (the newest event the simulator writes; see ingest/simulator/README.md)."""
    last_day = pd.Timestamp(truth(home, "channel_atp")["day"].max())
    return last_day + DAY - pd.Timedelta(seconds=1)


def mismatches(left: pd.Series, right: pd.Series) -> pd.Series:
    return ~((left == right) | (left.isna() & right.isna()))


# ---------------------------------------------------------------------------- expectations


def expected_sla_breaches(home: Path, lines: pd.DataFrame) -> set[tuple[str, str]]:
    """(return_line_id, metric) of every SLA breach the truth implies, by this rule:

    a metric of seeds/sla_targets.csv applies to a line with its start timestamp set, the
    target of the most specific scope (node, else channel, else source, else `all`); it is
    breached when end - start (or as_of - start while the end is missing) exceeds the target.
    - stage_initiated_to_received: initiated -> received, lines not declined or cancelled;
    - stage_received_to_inspected: received -> inspected, lines received at a DC;
    - stage_inspected_to_inventory_updated: inspected -> inventory_updated, lines whose target
      state is not quality_control (quarantine books nothing) and not restocked early;
    - stage_received_to_resolved, refund_initiated_to_resolved: received / initiated ->
      resolved, lines not declined or cancelled;
    - inventory_sor_latency: the till return's sync lag; the truth has no sync time, its
      problem log names the held transactions (pos_end_of_day_batch), see test below.
    """
    now = as_of(home)
    targets = pd.read_csv(SEEDS / "sla_targets.csv")
    dc = set(pd.read_csv(SEEDS / "nodes.csv").query("node_type == 'dc'")["node_id"])
    open_line = ~lines["status"].isin(["declined", "cancelled"])
    rules = {
        "stage_initiated_to_received": ("initiated_at", "received_at", open_line),
        "stage_received_to_inspected": (
            "received_at", "inspected_at", lines["node_id"].isin(dc),
        ),
        "stage_inspected_to_inventory_updated": (
            "inspected_at", "inventory_updated_at",
            (lines["target_state"] != "quality_control") & ~lines["restocked_before_inspection"],
        ),
        "stage_received_to_resolved": ("received_at", "resolved_at", open_line),
        "refund_initiated_to_resolved": ("initiated_at", "resolved_at", open_line),
    }  # fmt: skip
    breaches = set()
    for metric, (start, end, applies) in rules.items():
        scoped = targets[targets["metric"] == metric].set_index("scope")["target_hours"]
        target = (
            lines["node_id"].map(scoped)
            .fillna(lines["channel"].map(scoped))
            .fillna(lines["source"].map(scoped))
            .fillna(scoped.get("all", np.nan))
        )  # fmt: skip
        elapsed = lines[end].fillna(now) - lines[start]
        breached = applies & lines[start].notna() & target.notna() & (elapsed > target * HOUR)
        breaches |= {(line_id, metric) for line_id in lines.loc[breached, "return_line_id"]}
    return breaches


def expected_exceptions(home: Path) -> set[tuple[str, str | None, str | None]]:
    """(exception_type, return_line_id, sla_metric) the truth implies.

    restocked_before_inspection: the truth's flag (the injected DC-EAST restocks);
    refund_over_policy: refund_amount > expected_refund (the goodwill refunds);
    stage_sla_breach: expected_sla_breaches, plus inventory_sor_latency for every line of a
    till transaction the problem log says was held until an end-of-day batch;
    refund_before_receipt, unexpected_receipt, quantity_mismatch, out_of_order: none - the
    truth's stages are ordered (README), every receipt is of a return line, counts agree.
    """
    lines = truth(home, "return_lines")
    problems = truth(home, "problems")
    expected = {
        ("restocked_before_inspection", line_id, None)
        for line_id in lines.loc[lines["restocked_before_inspection"], "return_line_id"]
    }
    refunded = lines.dropna(subset=["refund_amount"])
    over = refunded[refunded["refund_amount"] > refunded["expected_refund"]]
    expected |= {("refund_over_policy", line_id, None) for line_id in over["return_line_id"]}
    expected |= {
        ("stage_sla_breach", line_id, metric)
        for line_id, metric in expected_sla_breaches(home, lines)
    }
    held = problems[(problems["problem_type"] == "pos_end_of_day_batch") & problems["key"].notna()]
    held_lines = lines[lines["return_id"].isin(set(held["key"]))]
    expected |= {
        ("stage_sla_breach", line_id, "inventory_sor_latency")
        for line_id in held_lines["return_line_id"]
    }
    return expected


def served_exceptions(home: Path) -> pd.DataFrame:
    return serving(home, "select * from fct_return_exceptions")


def exception_keys(exceptions: pd.DataFrame) -> set[tuple[str, str | None, str | None]]:
    return {
        (row.exception_type, row.return_line_id, row.sla_metric)
        for row in exceptions.replace({np.nan: None}).itertuples(index=False)
    }


# ---------------------------------------------------------------------------- return lines


def test_return_lines_equal_the_truth_column_by_column(acceptance_home):
    expected = truth(acceptance_home, "return_lines").set_index("return_line_id").sort_index()
    served = serving(acceptance_home, "select * from fct_return_lines")
    served = served.set_index("return_line_id").sort_index()

    # one row per true line: nothing duplicated by re-sent webhooks, nothing lost to rejects
    assert served.index.is_unique
    assert list(served.index) == list(expected.index)
    for money in ("refund_amount", "expected_refund"):
        served[money], expected[money] = money_text(served[money]), money_text(expected[money])
    served["restocked_before_inspection"] = served["is_restocked_before_inspection"]
    for column in [*TRUTH_COLUMNS, "restocked_before_inspection"]:
        wrong = mismatches(served[column], expected[column])
        assert not wrong.any(), (
            f"{column} differs on {wrong.sum()} lines, e.g.\n"
            f"{pd.DataFrame({'mart': served[column], 'truth': expected[column]})[wrong].head()}"
        )


def test_stage_durations_and_cycle_time_are_the_true_timestamps_subtracted(acceptance_home):
    lines = truth(acceptance_home, "return_lines").set_index("return_line_id").sort_index()
    served = serving(acceptance_home, "select * from fct_return_lines")
    served = served.set_index("return_line_id").sort_index()
    durations = {
        "cycle_time_hours": ("initiated_at", "resolved_at"),
        "hours_to_receive": ("initiated_at", "received_at"),
        "hours_to_inspect": ("received_at", "inspected_at"),
        "hours_to_resolve": ("received_at", "resolved_at"),
    }
    for column, (start, end) in durations.items():
        hours = (lines[end] - lines[start]) / HOUR
        wrong = mismatches(served[column].round(9), hours.round(9))
        assert not wrong.any(), f"{column} differs on {wrong.sum()} lines"
    # every resolution type ends the cycle, and only resolved lines have one
    resolved = served["cycle_time_hours"].notna()
    assert set(served.loc[resolved, "resolution"]) == {"refund", "store_credit", "exchange"}
    assert (served.loc[resolved, "status"] == "resolved").all()
    assert served["cycle_time_hours"].min() >= 0


def test_rollups_add_up_to_the_true_lines(acceptance_home):
    lines = truth(acceptance_home, "return_lines")
    lines["date_day"] = lines["initiated_at"].dt.normalize().astype("datetime64[ns]")
    daily = serving(acceptance_home, "select * from rpt_returns_daily")
    daily["date_day"] = pd.to_datetime(daily["date_day"]).astype("datetime64[ns]")
    keys = ["date_day", "channel"]
    served = daily.groupby(keys)[["return_lines", "units", "resolved_lines"]].sum()
    expected = lines.groupby(keys).agg(
        return_lines=("return_line_id", "size"),
        units=("quantity", "sum"),
        resolved_lines=("resolved_at", "count"),
    )
    pd.testing.assert_frame_equal(served.sort_index(), expected.sort_index(), check_dtype=False)

    resolved = lines.dropna(subset=["resolved_at"])
    hours = (resolved["resolved_at"] - resolved["initiated_at"]) / HOUR
    by_channel = serving(acceptance_home, "select * from rpt_cycle_time_by_channel")
    by_channel = by_channel.set_index("channel").sort_index()
    assert list(by_channel.index) == sorted(lines["channel"].unique())
    assert by_channel["return_lines"].to_dict() == lines.groupby("channel").size().to_dict()
    medians = hours.groupby(resolved["channel"]).median()
    assert by_channel["median_cycle_time_hours"].to_dict() == pytest.approx(medians.to_dict())


# ---------------------------------------------------------------------------- backlog


def test_inspection_backlog_equals_the_truth_per_dc_and_day(acceptance_home):
    expected = truth(acceptance_home, "inspection_backlog").rename(columns={"day": "date_day"})
    served = serving(
        acceptance_home,
        "select node_id, date_day, units_awaiting, oldest_received_at from fct_inspection_backlog",
    )
    keys = ["node_id", "date_day"]
    for frame in (expected, served):
        frame["date_day"] = pd.to_datetime(frame["date_day"])
    expected = expected.set_index(keys).sort_index()
    served = served.set_index(keys).sort_index()

    assert list(served.index) == list(expected.index)  # every DC, every simulated day
    assert (served["units_awaiting"] == expected["units_awaiting"]).all()
    assert not mismatches(served["oldest_received_at"], expected["oldest_received_at"]).any()
    # the injected backlog is there: DC-WEST ends the window with a large, old queue
    last = expected.index.get_level_values("date_day").max()
    assert served.loc[("DC-WEST", last), "units_awaiting"] > 10 * max(
        served.loc[("DC-EAST", last), "units_awaiting"], 1
    )


# ---------------------------------------------------------------------------- refunds


def test_open_refunds_and_their_ageing_buckets_equal_the_truth(acceptance_home):
    now = as_of(acceptance_home)
    lines = truth(acceptance_home, "return_lines")
    refunds = serving(acceptance_home, "select * from fct_refunds")
    assert set(refunds["as_of"]) == {now}

    # open: received, not resolved, neither declined nor cancelled; aged to as_of by whole days
    open_lines = lines[
        lines["received_at"].notna()
        & lines["resolved_at"].isna()
        & ~lines["status"].isin(["declined", "cancelled"])
    ]
    days = np.floor((now - open_lines["received_at"]) / DAY)
    buckets = pd.cut(
        days, [-1, 2, 7, 14, 30, np.inf], labels=["0-2", "3-7", "8-14", "15-30", ">30"]
    )
    expected = dict(zip(open_lines["return_line_id"], buckets.astype(str), strict=True))
    served_open = refunds[refunds["is_open"]]
    assert dict(zip(served_open["return_line_id"], served_open["ageing_bucket"], strict=True)) == (
        expected
    )
    assert len(set(expected.values())) > 1  # the window is long enough to age some

    # resolved: the lines refunded or credited, accurate exactly when they match the policy
    paid = lines[lines["resolution"].isin(["refund", "store_credit"])].set_index("return_line_id")
    served_paid = refunds[~refunds["is_open"]].set_index("return_line_id")
    assert sorted(served_paid.index) == sorted(paid.index)
    accurate = paid["refund_amount"] == paid["expected_refund"]
    assert served_paid["is_accurate"].reindex(paid.index).tolist() == accurate.tolist()

    # the rollup the refunds page reads agrees
    rollup = serving(acceptance_home, "select * from rpt_refunds_open")
    counted = open_lines.assign(bucket=buckets.astype(str)).groupby(["channel", "bucket"]).size()
    assert {(r.channel, r.ageing_bucket): r.open_refunds for r in rollup.itertuples()} == (
        counted.to_dict()
    )


# ---------------------------------------------------------------------------- exceptions


def test_exceptions_are_exactly_those_the_truth_implies(acceptance_home):
    served = exception_keys(served_exceptions(acceptance_home))
    expected = expected_exceptions(acceptance_home)
    for exception_type in sorted({key[0] for key in served | expected}):
        got = {key for key in served if key[0] == exception_type}
        want = {key for key in expected if key[0] == exception_type}
        assert got == want, (
            f"{exception_type}: {len(want - got)} missing, e.g. {sorted(want - got, key=str)[:3]};"
            f" {len(got - want)} not in the truth, e.g. {sorted(got - want, key=str)[:3]}"
        )


def test_every_injected_problem_is_found_as_its_exception_type(acceptance_home):
    problems = truth(acceptance_home, "problems")
    lines = truth(acceptance_home, "return_lines")
    exceptions = served_exceptions(acceptance_home).replace({np.nan: None})
    unknown = set(problems["problem_type"]) - set(FOUND_AS) - ABSORBED - set(ELSEWHERE)
    assert not unknown, f"problem types this test does not map: {unknown}"

    for problem_type, (exception_type, metric) in FOUND_AS.items():
        injected = problems[problems["problem_type"] == problem_type]
        of_type = exceptions[exceptions["exception_type"] == exception_type]
        if metric:
            of_type = of_type[of_type["sla_metric"] == metric]
        # a problem about a line: that line has the exception (per-line problems)
        per_line = set(injected["return_line_id"].dropna())
        if problem_type == "pos_end_of_day_batch":  # per held till transaction
            held = set(injected["key"].dropna())
            per_line = set(lines.loc[lines["return_id"].isin(held), "return_line_id"])
        found = set(of_type["return_line_id"].dropna())
        assert per_line <= found, f"{problem_type}: {len(per_line - found)} lines not found"
        # ... and the exception is raised for no line the truth does not name
        if per_line:
            assert found == per_line, f"{exception_type} raised on {len(found - per_line)} others"
        # a standing problem of a node (no line, no record key): every such node has the
        # exceptions, and they hold far more of them than all other nodes together
        standing = injected[injected["return_line_id"].isna() & injected["key"].isna()]
        nodes = set(standing["node_id"].dropna())
        at_node = of_type["node_id"].value_counts()
        for node in nodes:
            assert at_node.get(node, 0) > 0, f"{problem_type} at {node}: nothing found"
        if nodes:
            inside = at_node[at_node.index.isin(nodes)].sum()
            assert inside > 10 * at_node[~at_node.index.isin(nodes)].sum(), at_node.to_dict()


def test_absorbed_problems_leave_no_trace_in_the_lines(acceptance_home):
    problems = truth(acceptance_home, "problems")
    # re-sent webhooks: one event per source record, so one initiation and one refund per line
    repeated = warehouse(
        acceptance_home,
        """select return_line_id, event_type, source, count(*) as events
           from intermediate.int_return_events
           where return_line_id is not null
             and event_type in ('return_initiated', 'item_received', 'refund_released',
                                'credit_issued', 'exchange_shipped')
           group by all having count(*) > 1""",
    )
    assert repeated.empty, repeated.head()
    assert {"duplicate_webhook", "late_duplicate_webhook"} <= set(problems["problem_type"])

    # back-dated Amazon rows: the line starts at return-date, the event remembers the report day
    backdated = problems[problems["problem_type"] == "backdated_report_row"]
    events = warehouse(
        acceptance_home,
        """select return_line_id, occurred_at, recorded_at from intermediate.int_return_events
           where source = 'amazon' and event_type = 'return_initiated'""",
    ).set_index("return_line_id")
    rows = backdated.set_index("return_line_id")
    assert (events.loc[rows.index, "occurred_at"] == rows["occurred_at"]).all()
    report_day = pd.to_datetime(rows["file"].str.extract(r"(\d{4}-\d{2}-\d{2})")[0])
    recorded = events.loc[rows.index, "recorded_at"]
    assert (recorded.dt.normalize() == report_day).all()
    assert (recorded > rows["occurred_at"]).all()

    # malformed rows and truncated re-deliveries: rejected at the door, exactly the injected ones
    injected = truth(acceptance_home, "injected_rejects")
    rejects = warehouse(acceptance_home, "select file, row_number from ops.rejects")
    assert sorted(zip(rejects["file"], rejects["row_number"], strict=True)) == sorted(
        zip(injected["file"], injected["row_number"], strict=True)
    )


# ---------------------------------------------------------------------------- quality, contract


def test_lifecycle_and_recovery_suites_pass_on_the_marts(acceptance_home):
    for table, suites in {**LIFECYCLE_SUITES, **RECOVERY_SUITES}.items():
        validation = validate_table_suites(
            acceptance_home / "warehouse.duckdb", f"marts.{table}", [suite() for suite in suites]
        )
        assert validation.success, f"{table}: {validation.failed}"
        assert validation.rows > 0, table


def test_served_marts_keep_the_documented_columns_and_types(acceptance_home):
    columns = serving(
        acceptance_home,
        "select table_name, column_name, lower(data_type) as data_type"
        " from information_schema.columns where table_schema = 'main'",
    )
    served = {(r.table_name, r.column_name): r.data_type for r in columns.itertuples()}
    for table in LIFECYCLE_MARTS:
        for column, data_type in CONTRACT[table].items():
            assert served.get((table, column)) == data_type.replace(" ", ""), (table, column)
