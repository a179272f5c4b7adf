"""What each page should show, computed with pandas from the marts' rows: the tests' oracle.

Nothing here touches the dashboards' SQL. Each function takes the marts (as DataFrames: the
fixture's today, the simulator-backed ones later) and a `Filters`, and applies the filter the way
docs/marts.md and the page's caption describe it.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from dashboards.contract import CONTRACT
from dashboards.filters import Filters

Marts = dict[str, pd.DataFrame]


def read_marts(serving_file: Path) -> Marts:
    """Every contract table of a published snapshot as DataFrames (money as float), to run the
    oracle on the real marts: `overview_kpis(read_marts(home / "serving/marts.duckdb"), ...)`."""
    marts: Marts = {}
    with duckdb.connect(str(serving_file), read_only=True) as con:
        present = {row[0] for row in con.execute("show tables").fetchall()}
        for table in CONTRACT:
            if table in present:
                marts[table] = con.execute(f"select * from {table}").df()
    return marts


def _isin(series: pd.Series, chosen: tuple[str, ...]) -> pd.Series:
    return series.isin(chosen) if chosen else pd.Series(True, index=series.index)


def _days(series: pd.Series, start: date | None, end: date | None) -> pd.Series:
    days = pd.to_datetime(series).dt.date
    keep = pd.Series(True, index=series.index)
    if start:
        keep &= days.notna() & (days >= start)
    if end:
        keep &= days.notna() & (days <= end)
    return keep


def _category_of(marts: Marts, skus: pd.Series) -> pd.Series:
    return skus.map(marts["dim_products"].set_index("sku")["category"])


def filters_from_params(params: dict[str, str | list[str]]) -> Filters:
    """The filters a URL with these query parameters means."""
    return Filters.from_query_params(
        lambda name: [params[name]] if isinstance(params.get(name), str) else params.get(name, [])
    )


def as_of(marts: Marts) -> datetime:
    return pd.Timestamp(marts["fct_refunds"]["as_of"].max()).to_pydatetime()


def lines(marts: Marts, f: Filters, by_date: bool = True) -> pd.DataFrame:
    df = marts["fct_return_lines"]
    keep = _isin(df["channel"], f.channels) & _isin(df["node_id"], f.nodes)
    keep &= _isin(df["category"], f.categories)
    if by_date:
        keep &= _days(df["initiated_date"], f.start, f.end)
    return df[keep]


# ---- overview ------------------------------------------------------------------------------------


def overview_kpis(marts: Marts, f: Filters, start: date, end: date) -> dict[str, float | None]:
    ls = lines(marts, f, by_date=False)
    initiated = ls[_days(ls["initiated_date"], start, end)]
    resolved = ls[ls["resolved_at"].notna() & _days(ls["resolved_at"], start, end)]
    assigned = ls["disposition_assigned_at"]
    disposed = ls[assigned.notna() & _days(assigned, start, end)]
    sales = marts["rpt_sales_daily"]
    sales = sales[
        _days(sales["date_day"], start, end)
        & _isin(sales["channel"], f.channels)
        & _isin(sales["node_id"], f.nodes)
        & _isin(sales["category"], f.categories)
    ]
    backlog = marts["fct_inspection_backlog"]
    backlog = backlog[_isin(backlog["node_id"], f.nodes)]
    last_day = backlog.loc[pd.to_datetime(backlog["date_day"]).dt.date <= end, "date_day"].max()
    refunds = marts["fct_refunds"]
    refunds = refunds[
        _isin(refunds["channel"], f.channels)
        & _isin(refunds["node_id"], f.nodes)
        & _isin(refunds["category"], f.categories)
    ]
    now = as_of(marts)
    moment = min(datetime.combine(end + timedelta(days=1), datetime.min.time()), now)
    if moment >= now:
        over_sla = refunds[refunds["is_open"] & refunds["is_sla_breach"]]
    else:
        open_then = (refunds["received_at"] < moment) & (
            refunds["resolved_at"].isna() | (refunds["resolved_at"] >= moment)
        )
        age = (moment - refunds["received_at"]).dt.total_seconds() / 3600
        over_sla = refunds[open_then & (age > refunds["sla_target_hours"])]
    gaps = marts["fct_channel_stock_gaps"]
    gaps = gaps[
        _isin(gaps["channel"], f.channels) & _isin(_category_of(marts, gaps["sku"]), f.categories)
    ]
    exceptions = marts["fct_return_exceptions"]
    exceptions = exceptions[
        exceptions["is_open"]
        & (
            exceptions["detected_at"]
            < datetime.combine(end + timedelta(days=1), datetime.min.time())
        )
        & _isin(exceptions["channel"], f.channels)
        & _isin(exceptions["node_id"], f.nodes)
        & _isin(_category_of(marts, exceptions["sku"]), f.categories)
    ]
    units_sold = sales["units_sold"].sum()
    original = disposed["original_value"].sum()
    return {
        "returns": len(initiated),
        "return_rate": initiated["quantity"].sum() / units_sold if units_sold else None,
        "median_cycle_time_hours": (
            float(resolved["cycle_time_hours"].median()) if len(resolved) else None
        ),
        "inspection_backlog_units": int(
            backlog.loc[backlog["date_day"] == last_day, "units_awaiting"].sum()
        ),
        "open_refunds_over_sla": len(over_sla),
        "oversell_risk_units": int(gaps["oversell_risk_units"].sum()),
        "recovery_rate": disposed["recovery_value"].sum() / original if original else None,
        "open_exceptions": len(exceptions),
    }


# ---- lifecycle -----------------------------------------------------------------------------------


def cycle_time_tiles(marts_or_lines, f: Filters = Filters()) -> dict[str, float | None]:  # noqa: B008
    """`<channel> median cycle time` / `p90` in hours, per channel with lines."""
    df = lines(marts_or_lines, f) if isinstance(marts_or_lines, dict) else marts_or_lines
    tiles: dict[str, float | None] = {}
    for channel, group in df.groupby("channel"):
        hours = group["cycle_time_hours"].dropna().tolist()
        if not hours:
            tiles[f"{channel} median cycle time"] = tiles[f"{channel} p90 cycle time"] = None
            continue
        # 'inclusive' is linear interpolation between order statistics, as quantile_cont does
        p90 = (
            statistics.quantiles(hours, n=10, method="inclusive")[-1]
            if len(hours) > 1
            else hours[0]
        )
        tiles[f"{channel} median cycle time"] = statistics.median(hours)
        tiles[f"{channel} p90 cycle time"] = p90
    return tiles


# ---- inspection ----------------------------------------------------------------------------------


def inspection(marts: Marts, f: Filters) -> dict[str, float | None]:
    backlog = marts["fct_inspection_backlog"]
    backlog = backlog[_isin(backlog["node_id"], f.nodes)]
    days = pd.to_datetime(backlog["date_day"]).dt.date
    last = days[days <= f.end].max() if f.end else days.max()
    at_end = backlog[days == last]
    oldest = at_end["oldest_age_hours"].max()
    return {
        "units_awaiting": int(at_end["units_awaiting"].sum()),
        "units_over_sla": int(at_end["units_over_sla"].sum()),
        "oldest_age_hours": None if pd.isna(oldest) else float(oldest),
    }


def waiting_lines(marts: Marts, f: Filters) -> pd.DataFrame:
    """Lines waiting for inspection at the end date's close (or the data's now)."""
    now = as_of(marts)
    t = now
    if f.end:
        t = min(datetime.combine(f.end + timedelta(days=1), datetime.min.time()), now)
    df = lines(marts, Filters(channels=f.channels, nodes=f.nodes, categories=f.categories))
    facilities = set(marts["fct_inspection_backlog"]["node_id"])
    return df[
        (df["received_at"] < t)
        & (df["inspected_at"].isna() | (df["inspected_at"] >= t))
        & df["node_id"].isin(facilities)
    ]


# ---- refunds -------------------------------------------------------------------------------------


def refunds(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_refunds"]
    return df[
        _days(df["received_at"], f.start, f.end)
        & _isin(df["channel"], f.channels)
        & _isin(df["node_id"], f.nodes)
        & _isin(df["category"], f.categories)
    ]


def refund_headlines(marts: Marts, f: Filters) -> dict[str, float | None]:
    df = refunds(marts, f)
    is_open = df["is_open"].astype(bool)
    resolved = df[~is_open]
    return {
        "open_refunds": int(is_open.sum()),
        "open_over_sla": int((is_open & df["is_sla_breach"].astype(bool)).sum()),
        "open_expected_amount": float(df.loc[is_open, "expected_refund"].sum()),
        "accuracy": (float(resolved["is_accurate"].astype(bool).mean()) if len(resolved) else None),
    }


# ---- inventory -----------------------------------------------------------------------------------


def gaps(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_channel_stock_gaps"]
    return df[
        _isin(df["channel"], f.channels) & _isin(_category_of(marts, df["sku"]), f.categories)
    ]


def sync(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_inventory_sync"]
    return df[
        _days(df["physical_at"], f.start, f.end)
        & _isin(df["channel"], f.channels)
        & _isin(df["node_id"], f.nodes)
        & _isin(_category_of(marts, df["sku"]), f.categories)
    ]


def latency_tiles(marts: Marts, f: Filters) -> dict[str, float | None]:
    tiles = {}
    for channel, group in sync(marts, f).groupby("channel"):
        channel_latency = group["channel_latency_hours"].dropna()
        tiles[f"{channel} median channel latency"] = (
            float(channel_latency.median()) if len(channel_latency) else None
        )
        tiles[f"{channel} median SoR latency"] = float(group["sor_latency_hours"].median())
    return tiles


def platform_latency(marts: Marts) -> dict[str, float | int | None]:
    """The platform's own latency over every file: no page filter applies to it."""
    df = marts["platform_file_latency"]
    numbers: dict[str, float | int | None] = {
        "files": len(df),
        "stock_moving_files": int(df["is_stock_moving"].astype(bool).sum()),
    }
    for key in ("serving", "channel"):
        seconds = df[f"{key}_seconds"].dropna().astype(float)
        numbers[f"{key}_files"] = len(seconds)
        for name, q in (("p50", 0.5), ("p95", 0.95)):  # pandas' default: linear interpolation
            numbers[f"{key}_{name}"] = float(seconds.quantile(q)) if len(seconds) else None
        numbers[f"{key}_max"] = float(seconds.max()) if len(seconds) else None
    return numbers


# ---- recovery ------------------------------------------------------------------------------------


def recovery_rows(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_recovery"]
    months = pd.to_datetime(df["month_start"])
    keep = _isin(df["channel"], f.channels) & _isin(df["category"], f.categories)
    if f.start:
        keep &= months >= pd.Timestamp(f.start).to_period("M").start_time
    if f.end:
        keep &= months <= pd.Timestamp(f.end)
    return df[keep].sort_values(["month_start", "disposition", "category", "channel"])


def recovery_headlines(marts: Marts, f: Filters) -> dict[str, float | None]:
    df = recovery_rows(marts, f)
    original, recovered = float(df["original_value"].sum()), float(df["recovered_value"].sum())
    return {
        "units": int(df["units"].sum()),
        "original_value": original,
        "recovered_value": recovered,
        "recovery_rate": recovered / original if original else None,
    }


def chargebacks(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_chargeback_opportunities"]
    return df[_isin(_category_of(marts, df["sku"]), f.categories)]


# ---- exceptions and write-back -------------------------------------------------------------------


def open_exceptions(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_return_exceptions"]
    return df[
        df["is_open"]
        & _days(df["detected_at"], f.start, f.end)
        & _isin(df["channel"], f.channels)
        & _isin(df["node_id"], f.nodes)
        & _isin(_category_of(marts, df["sku"]), f.categories)
    ]


def exception_headlines(marts: Marts, f: Filters) -> dict[str, float | None]:
    df = open_exceptions(marts, f)
    return {
        "open_exceptions": len(df),
        "high_severity": int((df["severity"] == "high").sum()),
        "oldest_age_hours": float(df["age_hours"].max()) if len(df) else None,
    }


def corrections(marts: Marts, f: Filters) -> pd.DataFrame:
    df = marts["fct_stock_corrections"]
    nodes = marts["dim_nodes"].assign(loc=lambda d: d["shopify_location_id"].astype(str))
    node_of = df["location_id"].map(nodes.set_index("loc")["node_id"])
    return df[
        _isin(df["channel"], f.channels)
        & _isin(_category_of(marts, df["sku"]), f.categories)
        & _isin(node_of, f.nodes)
    ]


def writeback_headlines(marts: Marts, f: Filters) -> dict[str, float]:
    df = corrections(marts, f)
    return {
        "corrections": len(df),
        "needs_approval": int(df["needs_approval"].sum()),
        "units_to_move": int(df["delta"].abs().sum()),
        "value_at_stake": float((df["delta"].abs() * df["unit_value"]).sum()),
    }
