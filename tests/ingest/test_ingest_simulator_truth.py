"""The truth agrees with itself, with the seeds' formulas and with what the files record.

The truth is written from the simulator's state, never from its files; these tests read the
files back (with DuckDB) and the seeds, and check the two tell the same story.
"""

from __future__ import annotations

import duckdb
import pytest

from ingest.simulate import Scenario, simulate
from ingest.simulator.rules import SEEDS

DAYS, SCALE, SEED = 35, 0.06, 4


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    home = tmp_path_factory.mktemp("truth")
    simulate(home, days=DAYS, scale=SCALE, seed=SEED, scenario=Scenario().without_rejects())
    landing, truth = home / "landing", home / "truth"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name in (
        "return_lines",
        "inventory_daily",
        "channel_atp",
        "channel_location_stock",
        "inspection_backlog",
        "problems",
    ):
        con.execute(f"create view {name} as select * from '{truth}/{name}.parquet'")
    for seed in ("products", "nodes", "channel_allocation", "return_policies", "disposition_rules"):
        con.execute(f"create view {seed} as select * from read_csv('{SEEDS}/{seed}.csv')")

    def csv_view(name: str, glob: str, delim: str = ",") -> None:
        con.execute(
            f"create view {name} as select * from read_csv('{landing}/{glob}', header = true,"
            f" delim = '{delim}', quote = '', all_varchar = true)"
        )

    def json_view(name: str, glob: str, options: str = "") -> None:
        con.execute(
            f"create view {name} as select * from read_json('{landing}/{glob}',"
            f" format = 'newline_delimited'{options})"
        )

    csv_view("adjustments", "wms/adjustments_*.csv")
    csv_view("receipts", "wms/receipts_*.csv")
    csv_view("inspections", "wms/inspections_*.csv")
    csv_view("snapshots", "wms/inventory_*.csv")
    csv_view("store_returns", "pos/store_returns_*.csv")
    csv_view("credit_memos", "finance/credit_memos_*.csv")
    csv_view("amazon_orders", "amazon/all_orders_*.tsv", "\t")
    json_view("shopify_orders", "shopify/orders_*.ndjson")
    json_view("shopify_refunds", "shopify/refunds_*.ndjson")
    json_view("levels", "shopify/inventory_levels_*.ndjson")
    # amazon's files (location_id null) come first: infer the types from every file
    json_view("stock", "channel_stock/*.ndjson", ", union_by_name = true")
    json_view("payment_refunds", "finance/payment_refunds_*.ndjson")
    yield con
    con.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_the_run_has_every_kind_of_line(db):
    kinds = set(db.execute("select distinct source || '/' || status from return_lines").fetchall())
    for kind in ("shopify/resolved", "amazon/resolved", "pos/resolved", "shopify/declined"):
        assert (kind,) in kinds


def test_inventory_is_never_negative_and_only_known_keys(db):
    def rows(where: str) -> int:
        return one(db, f"select count(*) from inventory_daily where {where}")

    assert rows("units <= 0") == 0
    assert rows("node_id not in (select node_id from nodes)") == 0
    assert rows("sku not in (select sku from products)") == 0
    # every simulated day and the opening day
    assert one(db, "select count(distinct day) from inventory_daily") == DAYS + 1


def test_each_days_change_in_stock_is_what_the_files_book(db):
    """inventory(d) - inventory(d-1) = adjustments + receipts (DCs) + synced POS (stores)."""
    mismatches = one(
        db,
        """
        with moves as (
            select cast(adjusted_at as timestamp)::date as day, dc_id as node_id, sku,
                   to_state as state, quantity::int as units
            from adjustments where to_state is not null
            union all
            select cast(adjusted_at as timestamp)::date, dc_id, sku, from_state, -quantity::int
            from adjustments where from_state is not null
            union all
            select cast(received_at as timestamp)::date, dc_id, sku, 'quality_control',
                   quantity::int
            from receipts
            union all
            select cast(synced_at as timestamp)::date, store_id, sku,
                   if(condition = 'damaged', 'damaged', 'available'), quantity::int
            from store_returns
        ),
        booked as (select day, node_id, sku, state, sum(units) as units from moves group by all),
        change as (
            select coalesce(t.day, y.day + 1) as day, coalesce(t.node_id, y.node_id) as node_id,
                   coalesce(t.sku, y.sku) as sku, coalesce(t.state, y.state) as state,
                   coalesce(t.units, 0) - coalesce(y.units, 0) as units
            from inventory_daily as t
            full join inventory_daily as y
              on y.day = t.day - 1 and (y.node_id, y.sku, y.state) = (t.node_id, t.sku, t.state)
        )
        select count(*)
        from change full join booked using (day, node_id, sku, state)
        where coalesce(day, '2099-01-01') > (select min(day) from inventory_daily)
          and coalesce(day, '1900-01-01') <= (select max(day) from inventory_daily)
          and coalesce(change.units, 0) <> coalesce(booked.units, 0)
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from adjustments") > 1000


def test_wms_snapshots_equal_the_true_inventory(db):
    snapshot = """
        select cast(snapshot_at as timestamp)::date as day, dc_id as node_id, sku, state,
               quantity::bigint as units
        from snapshots
    """
    truth = """
        select day, node_id, sku, state, units from inventory_daily
        where node_id like 'DC-%' or day = (select min(day) from inventory_daily)
    """
    assert one(db, f"select count(*) from (({snapshot}) except ({truth}))") == 0
    assert one(db, f"select count(*) from (({truth}) except ({snapshot}))") == 0


def test_channel_atp_follows_the_seed_formula(db):
    mismatches = one(
        db,
        """
        with positions as (
            select day, node_id, sku,
                   sum(units) filter (where state = 'available')
                   - coalesce(sum(units) filter (where state = 'committed'), 0)
                   - coalesce(sum(units) filter (where state = 'reserved'), 0)
                   - coalesce(sum(units) filter (where state = 'safety_stock'), 0) as node_atp
            from inventory_daily group by all
        ),
        expected as (
            select p.day, a.channel_id as channel, p.sku,
                   sum(floor(greatest(coalesce(p.node_atp, 0), 0) * a.allocation_pct / 100))
                       as atp
            from positions as p join channel_allocation as a using (node_id)
            group by all
        )
        select count(*) from channel_atp as t
        left join expected as e using (day, channel, sku)
        where coalesce(e.atp, 0) <> t.atp
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from channel_atp") == DAYS * 4 * 300


def test_published_stock_is_what_the_channel_files_show(db):
    web = one(
        db,
        """
        with latest as (
            select l.location_id, p.sku, d.day, arg_max(l.available, l.updated_at) as shown
            from (select distinct day from channel_atp) as d
            join levels as l on l.updated_at::date <= d.day
            join products as p on p.shopify_inventory_item_id = l.inventory_item_id
            group by all
        )
        select count(*) from channel_atp as t
        join (select day, sku, sum(shown) as shown from latest group by all) as s using (day, sku)
        where t.channel = 'web' and t.published <> s.shown
        """,
    )
    pulled = one(
        db,
        """
        with shown as (  -- zalando: summed over its Shopify locations
            select channel, sku, captured_at::date as day, sum(quantity) as quantity
            from stock group by all
        )
        select count(*) from channel_atp as t
        full join shown as s using (channel, sku, day)
        where coalesce(t.channel, s.channel) not in ('store', 'web')
          and t.published is distinct from s.quantity
        """,
    )
    assert (web, pulled) == (0, 0)
    assert one(db, "select count(*) from channel_atp where channel = 'web'") == DAYS * 300


def test_shopify_channels_publish_per_location_the_nodes_share(db):
    """web and zalando are stocked per Shopify location (zalando through Shopify's marketplace
    connector): each location shows the node's share, and the locations add up to the channel;
    amazon publishes one figure per SKU."""
    located = db.execute(
        "select distinct channel, location_id from stock where location_id is not null"
    ).fetchall()
    assert {c for c, _ in located} == {"zalando"}
    assert {loc for _, loc in located} == {"61234560001", "61234560002"}
    assert (
        one(db, "select count(*) from stock where channel = 'amazon' and location_id is not null")
        == 0
    )
    assert (
        one(db, "select count(*) from stock where channel = 'zalando' and location_id is null") == 0
    )

    mismatches = one(
        db,
        """
        with positions as (
            select day, node_id, sku,
                   sum(units) filter (where state = 'available')
                   - coalesce(sum(units) filter (where state = 'committed'), 0)
                   - coalesce(sum(units) filter (where state = 'reserved'), 0)
                   - coalesce(sum(units) filter (where state = 'safety_stock'), 0) as node_atp
            from inventory_daily group by all
        )
        select count(*) from channel_location_stock as t
        join channel_allocation as a on a.channel_id = t.channel and a.node_id = t.node_id
        join nodes as n on n.node_id = t.node_id
        left join positions as p on (p.day, p.node_id, p.sku) = (t.day, t.node_id, t.sku)
        where t.atp <> floor(greatest(coalesce(p.node_atp, 0), 0) * a.allocation_pct / 100)
           or t.location_id <> cast(n.shopify_location_id as varchar)
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from channel_location_stock") == DAYS * 2 * 2 * 300

    # the locations add up to the channel, ATP and published
    summed = one(
        db,
        """
        select count(*) from channel_atp as t
        join (select day, channel, sku, sum(atp) as atp, sum(published) as published
              from channel_location_stock group by all) as l using (day, channel, sku)
        where t.atp <> l.atp or t.published <> l.published
        """,
    )
    assert summed == 0
    # what zalando shows at a location is its line there
    zalando = one(
        db,
        """
        select count(*) from channel_location_stock as t
        full join (select * from stock where channel = 'zalando') as s
          on s.sku = t.sku and s.location_id = t.location_id and s.captured_at::date = t.day
        where coalesce(t.channel, 'zalando') = 'zalando'
          and t.published is distinct from s.quantity
        """,
    )
    assert zalando == 0


def test_the_lagging_channel_alone_publishes_stale_stock(db):
    gaps = dict(
        db.execute(
            "select channel, count(*) filter (where published <> atp) from channel_atp "
            "where channel <> 'store' group by 1"
        ).fetchall()
    )
    assert gaps["web"] == gaps["amazon"] == 0
    assert gaps["zalando"] > 0
    unpublished = "select count(*) from channel_atp where channel = 'store' and published is null"
    assert one(db, unpublished) == DAYS * 300


def test_expected_refund_follows_the_policy(db):
    mismatches = one(
        db,
        """
        with ordered as (
            select admin_graphql_api_id as order_id, min(created_at)::timestamp as ordered_at
            from shopify_orders group by 1
            union all
            select "amazon-order-id", min(cast("purchase-date" as timestamptz))::timestamp
            from amazon_orders group by 1
        ),
        expected as (
            select r.return_line_id,
                   r.order_id is null
                       or r.initiated_at <= o.ordered_at + to_days(p.window_days) as within,
                   if(within,
                      round(pr.unit_price * r.quantity * (100 - p.restocking_fee_pct) / 100, 2),
                      0) as refund
            from return_lines as r
            join products as pr using (sku)
            join return_policies as p
              on (p.category, p.channel_id, p.region, p.customer_segment)
               = (pr.category, r.channel, r.region, r.customer_segment)
            left join ordered as o using (order_id)
        )
        select count(*) from return_lines join expected using (return_line_id)
        where expected.within <> return_lines.within_window
           or expected.refund <> return_lines.expected_refund
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from return_lines where not within_window") > 0


def test_refunds_in_the_files_are_the_true_refunds(db):
    shopify = one(
        db,
        """
        with refund_lines as (
            select distinct "return".admin_graphql_api_id as return_id,
                   line.line_item.sku as sku, line.subtotal::decimal(18, 2) as amount,
                   processed_at::timestamp as at, transactions[1].gateway as gateway
            from (select *, unnest(refund_line_items) as line from shopify_refunds)
        )
        select count(*) from return_lines as r
        full join refund_lines as f using (return_id, sku)
        where coalesce(r.source, 'shopify') = 'shopify'
          and coalesce(r.resolution, '') <> 'exchange'
          and (f.amount is distinct from r.refund_amount or f.at is distinct from r.resolved_at
               or (f.gateway = 'shopify_store_credit')
                  is distinct from (r.resolution = 'store_credit'))
        """,
    )
    memos = one(
        db,
        """
        select count(*) from return_lines as r
        full join credit_memos as m on m.return_reference = r.return_line_id
        where coalesce(r.source, 'amazon') = 'amazon' and r.resolution is not null
          and (m.amount::decimal(18, 2) is distinct from r.refund_amount
               or cast(m.issued_at as timestamp) is distinct from r.resolved_at)
        """,
    )
    till = one(
        db,
        """
        select count(*) from return_lines as r
        join store_returns as s on s.transaction_id || '-' || s.line_number = r.return_line_id
        where s.refund_amount::decimal(18, 2) <> coalesce(r.refund_amount, 0)
           or cast(s.returned_at as timestamp) <> r.resolved_at
           or (s.tender in ('card', 'cash')) <> (r.resolution = 'refund')
        """,
    )
    stripe = one(
        db,
        """
        with web as (
            select "return".admin_graphql_api_id as return_id,
                   sum(t.amount::decimal(18, 2)) as amount
            from (select distinct id, "return", transactions[1] as t from shopify_refunds)
            where t.gateway = 'shopify_payments'
            group by 1
        ),
        paid as (
            select distinct id, metadata.return_id as return_id, amount from payment_refunds
        )
        select count(*) from web full join paid using (return_id)
        where paid.amount is distinct from cast(web.amount * 100 as bigint)
        """,
    )
    assert (shopify, memos, till, stripe) == (0, 0, 0, 0)
    assert one(db, "select count(distinct resolution) from return_lines") == 3


def test_inspection_backlog_is_the_received_uninspected_units(db):
    mismatches = one(
        db,
        """
        with expected as (
            select b.node_id, b.day,
                   coalesce(sum(r.quantity), 0) as units, min(r.received_at) as oldest
            from inspection_backlog as b
            left join return_lines as r
              on r.node_id = b.node_id and r.received_at < b.day + 1
             and (r.inspected_at is null or r.inspected_at >= b.day + 1)
            group by all
        )
        select count(*) from inspection_backlog as b join expected as e using (node_id, day)
        where e.units <> b.units_awaiting or e.oldest is distinct from b.oldest_received_at
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from inspection_backlog") == DAYS * 2


def test_inspections_follow_the_disposition_rules_and_match_the_wms(db):
    rules = one(
        db,
        """
        select count(*) from return_lines as r
        join disposition_rules as d using (reason_code, grade, category)
        where r.inspected_at is not null
          and (d.disposition <> r.disposition or d.target_state <> r.target_state)
        """,
    )
    wms = one(
        db,
        """
        with inspected as (
            select c.rma_number, i.sku, cast(i.inspected_at as timestamp) as at, i.grade,
                   i.disposition, c.dc_id
            from inspections as i join receipts as c using (receipt_id, sku)
        )
        select count(*) from return_lines as r
        left join inspected as i
          on i.sku = r.sku and i.dc_id = r.node_id
         and i.rma_number = if(r.source = 'amazon', r.return_line_id, '#' ||
             split_part(r.order_id, '/', -1) || '-R1')
        where r.inspected_at is not null
          and (i.at is distinct from r.inspected_at or i.grade <> r.grade
               or i.disposition <> r.disposition)
        """,
    )
    assert (rules, wms) == (0, 0)
    assert one(db, "select count(*) from return_lines where inspected_at is not null") > 20


def test_inventory_updated_is_the_first_move_out_of_quality_control(db):
    mismatches = one(
        db,
        """
        with first_move as (
            select c.rma_number, c.sku, c.dc_id, min(cast(a.adjusted_at as timestamp)) as at
            from adjustments as a join receipts as c on a.reference = c.receipt_id
             and a.sku = c.sku and a.dc_id = c.dc_id
            where a.from_state = 'quality_control'
            group by all
        )
        select count(*) from return_lines as r
        left join first_move as m
          on m.sku = r.sku and m.dc_id = r.node_id
         and m.rma_number = if(r.source = 'amazon', r.return_line_id, '#' ||
             split_part(r.order_id, '/', -1) || '-R1')
        where r.source <> 'pos' and m.at is distinct from r.inventory_updated_at
        """,
    )
    assert mismatches == 0
    assert one(db, "select count(*) from return_lines where restocked_before_inspection") > 0
