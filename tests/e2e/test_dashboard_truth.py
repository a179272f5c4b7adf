"""The dashboards' headline numbers on the acceptance run, against the simulator's truth.

`returnops simulate --days 60 --seed 7` + `returnops run` (the `acceptance_home` fixture). Every
page runs through Streamlit's AppTest on that home's published snapshot, and the tiles it shows
(`st.metric`) must equal figures computed here with pandas from `truth/*.parquet` and the seeds
and dbt vars that both the simulator and the models read, never from the marts. Then a filter
changes (a sidebar widget, or a shared URL) and the tiles must follow the truth. The same
figures are also compared unrounded with the pages' `headlines` functions, so that an error the
tiles' rounding would hide (a tenth of an hour, a tenth of a percent) still fails.

test_marts_lifecycle.py / test_marts_inventory.py prove the marts equal the truth; this module
proves the pages show what happened: the right rows, filter, period, moment and rounding. Each
truth function names the page definition it applies (the tiles' help texts and captions).

Not derivable from the truth, so not asserted:
- Overview "Return rate": its denominator, units sold, is not in the truth (orders are not);
- Overview freshness tiles: publish and load times belong to the pipeline's run;
- Inventory sync latency tiles (and their event counts): the truth has neither the POS sync
  times nor the channels' publication times;
- Recovery "Claimable": the claim window runs from the order date, which the truth lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboards import queries, ui
from dashboards.filters import Filters
from dashboards.queries.overview import KPIS, Period, period_ending
from dashboards.serving import snapshot_version
from tests.dashboards.apptest import PAGES, metrics, run_page
from tests.dashboards.expected import filters_from_params
from tests.e2e.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

SEEDS = REPO_ROOT / "dbt_project" / "seeds"
HOUR = pd.Timedelta(hours=1)
REFUND_RESOLUTIONS = ("refund", "store_credit")
ENDED = ("declined", "cancelled")
# writeback/settings.py defaults, which fct_stock_corrections' needs_approval applies
APPROVAL_UNITS, APPROVAL_VALUE = 50, Decimal(1000)

# Views a leader would share as a link: a window that ends before the data's now (so the
# Overview's period, the backlog day and the moment of "open" move back in time) at one DC; two
# categories in January; two channels as a repeated parameter.
URL_FILTERS = {
    "late February at DC-WEST": {"from": "2026-02-16", "to": "2026-03-01", "node": "DC-WEST"},
    "shoes and dresses in January": {
        "from": "2026-01-12",
        "to": "2026-01-31",
        "category": "shoes,dresses",
    },
    "web and zalando": {"channel": ["web", "zalando"]},
}


# ---------------------------------------------------------------------------- the truth


@dataclass(frozen=True)
class Truth:
    lines: pd.DataFrame  # truth/return_lines.parquet (money as Decimal)
    backlog: pd.DataFrame  # truth/inspection_backlog.parquet
    atp: pd.DataFrame  # truth/channel_atp.parquet
    location_stock: pd.DataFrame  # truth/channel_location_stock.parquet
    products: pd.DataFrame  # seeds/products.csv by sku (money as text, read exactly)
    sla_targets: pd.DataFrame  # seeds/sla_targets.csv
    dcs: frozenset[str]  # seeds/nodes.csv
    recovery_rules: Mapping[str, Mapping]  # the `disposition_recovery` dbt var
    as_of: pd.Timestamp  # the data's now: the last day's 23:59:59 stock snapshot

    @property
    def last_day(self) -> date:
        return self.as_of.date()


def read_truth(home: Path) -> Truth:
    def parquet(name: str) -> pd.DataFrame:
        return pd.read_parquet(home / "truth" / f"{name}.parquet")

    atp, backlog = parquet("channel_atp"), parquet("inspection_backlog")
    location_stock = parquet("channel_location_stock")
    for frame in (atp, backlog, location_stock):
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
    nodes = pd.read_csv(SEEDS / "nodes.csv")
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    last_day = max(atp["day"])
    return Truth(
        lines=parquet("return_lines"),
        backlog=backlog,
        atp=atp,
        location_stock=location_stock,
        products=pd.read_csv(SEEDS / "products.csv", dtype=str).set_index("sku"),
        sla_targets=pd.read_csv(SEEDS / "sla_targets.csv"),
        dcs=frozenset(nodes.loc[nodes["node_type"] == "dc", "node_id"]),
        recovery_rules=project["vars"]["disposition_recovery"],
        as_of=pd.Timestamp(last_day) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
    )


# ---------------------------------------------------------------------------- helpers


def chosen(values: pd.Series, wanted: tuple[str, ...]) -> pd.Series:
    """True where the value is one of the wanted ones, or everywhere when none is wanted."""
    return values.isin(wanted) if wanted else pd.Series(True, index=values.index)


def on_days(moments: pd.Series, start: date | None, end: date | None) -> pd.Series:
    """True where the moment's calendar day is in [start, end] (open ends); never for NaT."""
    days = moments.dt.normalize()
    keep = moments.notna()
    if start:
        keep &= days >= pd.Timestamp(start)
    if end:
        keep &= days <= pd.Timestamp(end)
    return keep


def midnight_after(day: date) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=1)


def hours(delta: pd.Series | pd.Timedelta):
    return delta / HOUR


def scoped_lines(truth: Truth, f: Filters) -> pd.DataFrame:
    """Lines of the chosen channels, receiving nodes and categories (any date)."""
    lines = truth.lines
    keep = chosen(lines["channel"], f.channels) & chosen(lines["node_id"], f.nodes)
    return lines[keep & chosen(lines["category"], f.categories)]


def category_of(truth: Truth, skus: pd.Series) -> pd.Series:
    return skus.map(truth.products["category"])


def price_of(truth: Truth, skus: pd.Series, column: str = "unit_price") -> pd.Series:
    return skus.map(truth.products[column]).map(Decimal)


def total(values: pd.Series) -> float:
    """Exact sum of Decimal money, as the float a page formats."""
    return float(sum(values.dropna(), Decimal(0)))


def sla_target_hours(truth: Truth, lines: pd.DataFrame, metric: str) -> pd.Series:
    """The metric's target per line: the most specific scope of seeds/sla_targets.csv (node,
    else channel, else source, else `all`), as test_marts_lifecycle.py applies it."""
    scoped = truth.sla_targets[truth.sla_targets["metric"] == metric]
    target = dict(zip(scoped["scope"], scoped["target_hours"].astype(float), strict=True))

    def of(column: str) -> pd.Series:
        return lines[column].map(lambda scope: target.get(scope, np.nan)).astype(float)

    return of("node_id").fillna(of("channel")).fillna(of("source")).fillna(target.get("all"))


# ---------------------------------------------------------------------------- lifecycle


def cycle_hours(lines: pd.DataFrame) -> pd.Series:
    """Initiation to resolution (refund, store credit or exchange), resolved lines only."""
    resolved = lines.dropna(subset=["resolved_at"])
    return hours(resolved["resolved_at"] - resolved["initiated_at"])


def lifecycle_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """Per channel with lines initiated in the range: median and p90 cycle time in hours (p90
    interpolated linearly between order statistics, as quantile_cont)."""
    lines = scoped_lines(truth, f)
    lines = lines[on_days(lines["initiated_at"], f.start, f.end)]
    numbers: dict[str, float | None] = {}
    for channel, group in lines.groupby("channel"):
        cycle = cycle_hours(group)
        numbers[f"{channel} median cycle time"] = cycle.median() if len(cycle) else None
        numbers[f"{channel} p90 cycle time"] = np.quantile(cycle, 0.9) if len(cycle) else None
    return numbers


# ---------------------------------------------------------------------------- inspection


def backlog_day(truth: Truth, f: Filters) -> date:
    """The day the backlog tiles show: the end date, else the last simulated day."""
    return min(f.end, truth.last_day) if f.end else truth.last_day


def inspection_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """At the end of the backlog day, per DC (the node filter only: the facility x day backlog
    has no channel or category): units received and not inspected, the oldest one's wait, and
    the units waiting longer than the DC's stage_received_to_inspected target."""
    day = backlog_day(truth, f)
    backlog = truth.backlog
    backlog = backlog[(backlog["day"] == day) & chosen(backlog["node_id"], f.nodes)]
    end_of_day = midnight_after(day)
    lines = truth.lines[truth.lines["node_id"].isin(truth.dcs)]
    lines = lines[chosen(lines["node_id"], f.nodes)]
    waiting = lines[
        (lines["received_at"] < end_of_day)
        & (lines["inspected_at"].isna() | (lines["inspected_at"] >= end_of_day))
    ]
    age = hours(end_of_day - waiting["received_at"])
    over_sla = age > sla_target_hours(truth, waiting, "stage_received_to_inspected")
    oldest = backlog["oldest_received_at"].min()
    return {
        "units_awaiting": int(backlog["units_awaiting"].sum()),
        "units_over_sla": int(waiting.loc[over_sla, "quantity"].sum()),
        "oldest_age_hours": None if pd.isna(oldest) else hours(end_of_day - oldest),
        "facilities": backlog["node_id"].nunique(),
    }


# ---------------------------------------------------------------------------- refunds


def refund_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines paid money or credit, and lines received and waiting for a resolution (exchanges
    pay nothing; declined and cancelled lines wait for nothing)."""
    waiting = lines["resolved_at"].isna() & lines["received_at"].notna()
    waiting &= ~lines["status"].isin(ENDED)
    return lines[lines["resolution"].isin(REFUND_RESOLUTIONS) | waiting]


def open_refunds_over_sla_at(truth: Truth, lines: pd.DataFrame, moment: pd.Timestamp) -> int:
    """Refunds open at `moment` (received before it, resolved at or after it) for longer than
    the stage_received_to_resolved target since the receipt."""
    refunds = refund_lines(lines)
    open_then = (refunds["received_at"] < moment) & (
        refunds["resolved_at"].isna() | (refunds["resolved_at"] >= moment)
    )
    age = hours(moment - refunds["received_at"])
    over = age > sla_target_hours(truth, refunds, "stage_received_to_resolved")
    return int((open_then & over).sum())


def refund_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """Refunds of units received in the range, open or not at the data's now; accurate when
    the refund is within 0.01 of the policy's expected refund."""
    lines = scoped_lines(truth, f)
    refunds = refund_lines(lines[on_days(lines["received_at"], f.start, f.end)])
    is_open = refunds["resolved_at"].isna()
    resolved = refunds[~is_open]
    accurate = (resolved["refund_amount"] - resolved["expected_refund"]).map(abs) < Decimal("0.01")
    return {
        "open_refunds": int(is_open.sum()),
        "open_over_sla": open_refunds_over_sla_at(truth, refunds, truth.as_of),
        "open_expected_amount": total(refunds.loc[is_open, "expected_refund"]),
        "accuracy": accurate.mean() if len(resolved) else None,
    }


# ---------------------------------------------------------------------------- stock


def stock_gaps(truth: Truth, f: Filters) -> pd.DataFrame:
    """Published vs ATP per channel x SKU at the end of the last day, for the channels that
    publish (stores do not). No node: the node filter leaves the gaps alone."""
    atp = truth.atp[(truth.atp["day"] == truth.last_day) & truth.atp["published"].notna()]
    categories = category_of(truth, atp["sku"])
    atp = atp[chosen(atp["channel"], f.channels) & chosen(categories, f.categories)]
    gap = atp["published"].astype(int) - atp["atp"]
    return atp.assign(gap=gap, oversell=gap.clip(lower=0), hidden=(-gap).clip(lower=0))


def inventory_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    gaps = stock_gaps(truth, f)
    return {
        "oversell_risk_units": int(gaps["oversell"].sum()),
        "hidden_units": int(gaps["hidden"].sum()),
    }


def corrected_stock(truth: Truth, f: Filters) -> pd.DataFrame:
    """What each channel shows and should show at the end of the last day, at the grain the
    write-back corrects: per Shopify location (a DC) for the channels the truth stocks per
    location (channel_location_stock), else one figure per channel and SKU (no node, so a node
    filter leaves none of them)."""
    last_day = ["channel", "sku", "node_id", "atp", "published"]
    stock = truth.atp[(truth.atp["day"] == truth.last_day) & truth.atp["published"].notna()]
    stock = stock.assign(node_id=None)[last_day]
    located = truth.location_stock
    located = located.loc[located["day"] == truth.last_day, last_day]
    stock = pd.concat([stock[~stock["channel"].isin(set(located["channel"]))], located])
    keep = chosen(stock["channel"], f.channels) & chosen(stock["node_id"], f.nodes)
    return stock[keep & chosen(category_of(truth, stock["sku"]), f.categories)]


def writeback_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """A correction sets what a channel shows to what it should show, wherever they differ; it
    needs approval when it moves more than APPROVAL_UNITS units or more than APPROVAL_VALUE of
    value at the selling price."""
    stock = corrected_stock(truth, f)
    corrections = stock[stock["published"] != stock["atp"]]
    units = (corrections["atp"] - corrections["published"]).abs().astype(int)
    value = units.map(Decimal) * price_of(truth, corrections["sku"])
    return {
        "corrections": len(corrections),
        "needs_approval": int(((units > APPROVAL_UNITS) | (value > APPROVAL_VALUE)).sum()),
        "units_to_move": int(units.sum()),
        "value_at_stake": total(value),
    }


# ---------------------------------------------------------------------------- recovery


def with_recovery(truth: Truth, lines: pd.DataFrame) -> pd.DataFrame:
    """Original value (price x quantity) and the value the disposition recovers: a share of
    the price, or of the cost when the vendor takes the unit back, rounded to the cent."""
    price, cost = price_of(truth, lines["sku"]), price_of(truth, lines["sku"], "unit_cost")
    quantity = lines["quantity"].map(Decimal)

    def recovered(i) -> Decimal:
        rule = truth.recovery_rules[lines.at[i, "disposition"]]
        basis = price[i] if rule["basis"] == "price" else cost[i]
        share = basis * quantity[i] * Decimal(rule["pct"]) / 100
        return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return lines.assign(
        original_value=price * quantity, recovery_value=[recovered(i) for i in lines.index]
    )


def disposed_lines(truth: Truth, lines: pd.DataFrame) -> pd.DataFrame:
    """Lines given a disposition: DC lines, at their inspection (store returns get none)."""
    return with_recovery(truth, lines.dropna(subset=["disposition"]))


def recovery_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """Lines whose disposition month overlaps the date range, of the channels and categories
    chosen (no node: the recovery mart has none)."""
    lines = disposed_lines(truth, truth.lines)
    month = lines["inspected_at"].dt.to_period("M").dt.start_time
    keep = chosen(lines["channel"], f.channels) & chosen(lines["category"], f.categories)
    if f.start:
        keep &= month >= pd.Timestamp(f.start).to_period("M").start_time
    if f.end:
        keep &= month <= pd.Timestamp(f.end)
    lines = lines[keep]
    original, recovered = total(lines["original_value"]), total(lines["recovery_value"])
    return {
        "units": int(lines["quantity"].sum()),
        "original_value": original,
        "recovered_value": recovered,
        "recovery_rate": recovered / original if original else None,
    }


# ---------------------------------------------------------------------------- exceptions


# Stage SLAs, as test_marts_lifecycle.py's expected_sla_breaches defines them: metric ->
# (start, end, the lines it applies to). A breach stays open while the end stage is missing.
STAGE_SLAS: dict[str, tuple[str, str, Callable[[pd.DataFrame, Truth], pd.Series]]] = {
    "stage_initiated_to_received": (
        "initiated_at", "received_at", lambda ls, _: ~ls["status"].isin(ENDED),
    ),
    "stage_received_to_inspected": (
        "received_at", "inspected_at", lambda ls, truth: ls["node_id"].isin(truth.dcs),
    ),
    "stage_inspected_to_inventory_updated": (
        "inspected_at", "inventory_updated_at",
        lambda ls, _: (ls["target_state"] != "quality_control")
        & ~ls["restocked_before_inspection"],
    ),
    "stage_received_to_resolved": (
        "received_at", "resolved_at", lambda ls, _: ~ls["status"].isin(ENDED),
    ),
    "refund_initiated_to_resolved": (
        "initiated_at", "resolved_at", lambda ls, _: ~ls["status"].isin(ENDED),
    ),
}  # fmt: skip


def open_exceptions(truth: Truth) -> pd.DataFrame:
    """The exceptions still open at the data's now, with when each was detected:

    - restocked before inspection: detected at the restock, open until the inspection;
    - refund over policy (the goodwill refunds): detected at the refund, never closed;
    - stage SLA breach: detected when the target ran out, open while the end stage is missing
      (inventory_sor_latency always has its end, the sync, so is never open);
    - none of the other types: the truth rules them out (test_marts_lifecycle.py).
    """
    lines = truth.lines
    restocked = lines[lines["restocked_before_inspection"] & lines["inspected_at"].isna()]
    frames = [
        restocked.assign(
            exception_type="restocked_before_inspection",
            detected_at=restocked["inventory_updated_at"],
        )
    ]
    refunded = lines.dropna(subset=["refund_amount"])
    over = refunded[refunded["refund_amount"] > refunded["expected_refund"]]
    frames.append(over.assign(exception_type="refund_over_policy", detected_at=over["resolved_at"]))
    for metric, (start, end, applies) in STAGE_SLAS.items():
        waiting = lines[applies(lines, truth) & lines[start].notna() & lines[end].isna()]
        target = sla_target_hours(truth, waiting, metric)
        breached = hours(truth.as_of - waiting[start]) > target
        frames.append(
            waiting[breached].assign(
                exception_type="stage_sla_breach",
                detected_at=waiting.loc[breached, start] + target[breached] * HOUR,
            )
        )
    exceptions = pd.concat(frames, ignore_index=True)
    exceptions["category"] = category_of(truth, exceptions["sku"])
    exceptions["age_hours"] = hours(truth.as_of - exceptions["detected_at"])
    return exceptions


def exceptions_in(exceptions: pd.DataFrame, f: Filters) -> pd.DataFrame:
    keep = chosen(exceptions["channel"], f.channels) & chosen(exceptions["node_id"], f.nodes)
    return exceptions[keep & chosen(exceptions["category"], f.categories)]


def exception_numbers(truth: Truth, f: Filters) -> dict[str, float | None]:
    """Open exceptions detected in the date range. High severity: restocked before inspection
    (refund before receipt, the other high type, the truth rules out)."""
    found = exceptions_in(open_exceptions(truth), f)
    found = found[on_days(found["detected_at"], f.start, f.end)]
    return {
        "open_exceptions": len(found),
        "high_severity": int((found["exception_type"] == "restocked_before_inspection").sum()),
        "oldest_age_hours": found["age_hours"].max() if len(found) else None,
    }


# ---------------------------------------------------------------------------- overview


def overview_period(truth: Truth, f: Filters) -> Period:
    """The 7 days ending at the end date, else at the day of the data's now (the default)."""
    return period_ending(f.end or truth.last_day, 7)


def overview_numbers(truth: Truth, f: Filters, period: Period) -> dict[str, float | None]:
    """The KPIs of `period`, each under the filters its facts have (the tiles' help texts)."""
    lines = scoped_lines(truth, f)
    initiated = lines[on_days(lines["initiated_at"], period.start, period.end)]
    cycle = cycle_hours(lines[on_days(lines["resolved_at"], period.start, period.end)])
    disposed = disposed_lines(truth, lines)
    disposed = disposed[on_days(disposed["inspected_at"], period.start, period.end)]
    original = total(disposed["original_value"])
    backlog = truth.backlog
    backlog = backlog[
        (backlog["day"] == min(period.end, truth.last_day)) & chosen(backlog["node_id"], f.nodes)
    ]
    # "open" at the period's end, or at the data's now when that comes first
    moment = min(midnight_after(period.end), truth.as_of)
    found = exceptions_in(open_exceptions(truth), f)
    return {
        "returns": len(initiated),
        "median_cycle_time_hours": cycle.median() if len(cycle) else None,
        "inspection_backlog_units": int(backlog["units_awaiting"].sum()),
        "open_refunds_over_sla": open_refunds_over_sla_at(truth, lines, moment),
        "oversell_risk_units": int(stock_gaps(truth, f)["oversell"].sum()),
        "recovery_rate": total(disposed["recovery_value"]) / original if original else None,
        "open_exceptions": int((found["detected_at"] < midnight_after(period.end)).sum()),
    }


def overview_kpis_now(truth: Truth, f: Filters) -> dict[str, float | None]:
    return overview_numbers(truth, f, overview_period(truth, f))


def overview_deltas(truth: Truth, f: Filters) -> dict[str, str | None]:
    """Each tile's change on the 7 days before, as shown; none for the oversell-risk units (the
    stock gaps are the latest snapshot only)."""
    period = overview_period(truth, f)
    now, before = overview_numbers(truth, f, period), overview_numbers(truth, f, period.previous())
    return {
        kpi.label: ui.delta(now[kpi.name], before[kpi.name], kpi.unit) if kpi.has_history else None
        for kpi in KPIS
        if kpi.name in now  # the return rate is not in the truth
    }


# ---------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Tile:
    label: str  # the st.metric's label
    number: str  # the key in the truth's numbers (and in the page's headlines)
    show: Callable[[float | None], str]  # the page's formatter


TILES: dict[str, tuple[Tile, ...]] = {
    "overview": tuple(
        Tile(kpi.label, kpi.name, ui.FORMATTERS[kpi.unit])
        for kpi in KPIS
        if kpi.name != "return_rate"  # units sold are not in the truth
    ),
    "inspection": (
        Tile("Units awaiting inspection", "units_awaiting", ui.count),
        Tile("Units over SLA", "units_over_sla", ui.count),
        Tile("Oldest waiting", "oldest_age_hours", ui.hours),
        Tile("Facilities", "facilities", ui.count),
    ),
    "refunds": (
        Tile("Open refunds", "open_refunds", ui.count),
        Tile("Open > SLA", "open_over_sla", ui.count),
        Tile("Open amount (expected)", "open_expected_amount", ui.money),
        Tile("Refund accuracy", "accuracy", ui.percent),
    ),
    "inventory": (
        Tile("Oversell-risk units", "oversell_risk_units", ui.count),
        Tile("Hidden units", "hidden_units", ui.count),
    ),
    "recovery": (
        Tile("Units", "units", ui.count),
        Tile("Original value", "original_value", ui.money),
        Tile("Recovered value", "recovered_value", ui.money),
        Tile("Recovery rate", "recovery_rate", ui.percent),
    ),
    "exceptions": (
        Tile("Open exceptions", "open_exceptions", ui.count),
        Tile("High severity", "high_severity", ui.count),
        Tile("Oldest open", "oldest_age_hours", ui.hours),
    ),
    "writeback": (
        Tile("Corrections", "corrections", ui.count),
        Tile("Needing approval", "needs_approval", ui.count),
        Tile("Units to move", "units_to_move", ui.count),
        Tile("Value at stake", "value_at_stake", ui.money),
    ),
}

TRUTH_NUMBERS: dict[str, Callable[[Truth, Filters], dict[str, float | None]]] = {
    "overview": overview_kpis_now,
    "lifecycle": lifecycle_numbers,
    "inspection": inspection_numbers,
    "refunds": refund_numbers,
    "inventory": inventory_numbers,
    "recovery": recovery_numbers,
    "exceptions": exception_numbers,
    "writeback": writeback_numbers,
}


def expected_tiles(truth: Truth, page: str, f: Filters) -> dict[str, str]:
    """What the page's tiles should read, as text, by the truth."""
    numbers = TRUTH_NUMBERS[page](truth, f)
    if page == "lifecycle":  # a median and a p90 tile per channel, labelled as the numbers
        return {label: ui.hours(value) for label, value in numbers.items()}
    return {tile.label: tile.show(numbers[tile.number]) for tile in TILES[page]}


def page_headlines(page: str, version: str, f: Filters) -> dict[str, float | None]:
    """The unrounded numbers behind the page's tiles, from the page's own query functions."""
    if page == "overview":
        return queries.overview.kpis(version, f, overview_period_of(version, f)).values
    return getattr(queries, page).headlines(version, f)


def overview_period_of(version: str, f: Filters) -> Period:
    """The page's own choice of period: 7 days to its end date (queries.overview.kpi_end)."""
    options, as_of = queries.common.filter_options(version), queries.common.as_of(version)
    return period_ending(queries.overview.kpi_end(f, options, as_of), 7)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def truth(acceptance_home) -> Truth:
    return read_truth(acceptance_home)


@pytest.fixture
def served_home(acceptance_home, monkeypatch) -> Path:
    """The app and its queries read the acceptance home's published snapshot."""
    monkeypatch.setenv("RETURNOPS_HOME", str(acceptance_home))
    return acceptance_home


def deltas(at: AppTest) -> dict[str, str | None]:
    """The deltas of the Overview's KPI tiles that the truth can tell, as shown."""
    compared = {tile.label for tile in TILES["overview"]}
    return {metric.label: metric.delta or None for metric in at.metric if metric.label in compared}


def shown(at: AppTest, labels) -> dict[str, str | None]:
    assert not at.exception, [e.message for e in at.exception]
    on_screen = metrics(at)
    return {label: on_screen.get(label) for label in labels}


# ---------------------------------------------------------------------------- tests


def test_the_truth_has_every_kind_of_number(truth):
    """The comparisons mean something only if the run has each kind of figure."""
    numbers = overview_kpis_now(truth, Filters())
    assert all(numbers.values()), numbers
    assert set(open_exceptions(truth)["exception_type"]) == {
        "restocked_before_inspection", "refund_over_policy", "stage_sla_breach",
    }  # fmt: skip
    assert inventory_numbers(truth, Filters())["hidden_units"] > 0
    assert writeback_numbers(truth, Filters())["needs_approval"] > 0


@pytest.mark.parametrize("page", list(PAGES))
def test_tiles_equal_the_truth_and_follow_the_channel_filter(served_home, truth, page):
    at = run_page(page)
    wanted = expected_tiles(truth, page, Filters())
    assert shown(at, wanted) == wanted
    if page == "lifecycle":  # a pair of tiles per channel, and nothing else
        assert set(metrics(at)) == set(wanted)

    at.multiselect(key="filter_channels").set_value(["amazon"]).run()

    amazon = expected_tiles(truth, page, Filters(channels=("amazon",)))
    assert shown(at, amazon) == amazon
    assert at.query_params["channel"] == "amazon"
    if page != "inspection":  # the backlog is per facility: it has no channel to filter
        assert amazon != wanted, "the filter should change the page's numbers"


@pytest.mark.parametrize("link", list(URL_FILTERS))
@pytest.mark.parametrize("page", list(PAGES))
def test_a_shared_link_shows_the_truth_of_its_filters(served_home, truth, page, link):
    at = run_page(page, URL_FILTERS[link])

    wanted = expected_tiles(truth, page, filters_from_params(URL_FILTERS[link]))
    assert shown(at, wanted) == wanted


def test_narrowing_the_dates_in_the_sidebar_moves_the_overview_period(served_home, truth):
    at = run_page("overview")
    start, end = date(2026, 1, 19), date(2026, 2, 8)

    at.date_input(key="filter_dates").set_value((start, end)).run()

    wanted = expected_tiles(truth, "overview", Filters(start=start, end=end))
    assert shown(at, wanted) == wanted
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-01-19", "2026-02-08")
    assert any("2026-02-02 to 2026-02-08" in caption.value for caption in at.caption)


def test_overview_deltas_are_the_truths_change_on_the_week_before(served_home, truth):
    at = run_page("overview")
    assert deltas(at) == overview_deltas(truth, Filters())

    at.multiselect(key="filter_channels").set_value(["amazon"]).run()

    assert deltas(at) == overview_deltas(truth, Filters(channels=("amazon",)))


FILTER_SETS = {
    "all": Filters(),
    "amazon": Filters(channels=("amazon",)),
    **{link: filters_from_params(params) for link, params in URL_FILTERS.items()},
}


@pytest.mark.parametrize("filters", list(FILTER_SETS))
def test_unrounded_headlines_equal_the_truth(served_home, truth, filters):
    """What the tiles round (hours and rates to a tenth, money to the cent) is exact too."""
    version = snapshot_version()
    f = FILTER_SETS[filters]
    for page in PAGES:
        wanted = TRUTH_NUMBERS[page](truth, f)
        headlines = page_headlines(page, version, f)
        compared = {name: headlines.get(name) for name in wanted if name != "facilities"}
        assert compared == pytest.approx(
            {name: wanted[name] for name in compared}, rel=1e-12, abs=1e-9
        ), page
