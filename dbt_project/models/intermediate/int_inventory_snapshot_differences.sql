-- Reconciliation of the ledger built from events against the WMS's own end-of-day counts:
-- for every node and day with an inventory snapshot (after the opening count, which the
-- ledger starts from), every SKU × state where the count and fct_inventory_positions differ.
-- Each row is a `snapshot_mismatch` exception (docs/marts.md, fct_return_exceptions); on
-- consistent feeds the model is empty.
--
-- Reads the mart fct_inventory_positions (the one place balances are accumulated) rather than
-- accumulating them a second time.

with snapshots as (
    select * from {{ ref('stg_wms__inventory_snapshots') }}
),

positions as (
    select * from {{ ref('fct_inventory_positions') }}
),

openings as (
    select
        node_id,
        min(snapshot_at)                                as opened_at
    from snapshots
    group by node_id
),

counted as (
    select
        snapshots.node_id,
        cast(snapshots.snapshot_at as date)             as date_day,
        snapshots.snapshot_at,
        snapshots.sku,
        snapshots.inventory_state                       as state,
        snapshots.quantity                              as snapshot_units,
        snapshots.loaded_at
    from snapshots
    inner join openings
        on snapshots.node_id = openings.node_id
    where snapshots.snapshot_at > openings.opened_at
),

-- the node × day counts taken: only those are compared
counts_taken as (
    select
        node_id,
        date_day,
        max(snapshot_at)                                as snapshot_at,
        max(loaded_at)                                  as loaded_at
    from counted
    group by
        node_id,
        date_day
),

booked as (
    select
        positions.node_id,
        positions.date_day,
        positions.sku,
        positions.state,
        positions.units                                 as ledger_units
    from positions
    inner join counts_taken
        on positions.node_id = counts_taken.node_id
        and positions.date_day = counts_taken.date_day
),

compared as (
    select
        coalesce(counted.node_id, booked.node_id)       as node_id,
        coalesce(counted.date_day, booked.date_day)     as date_day,
        coalesce(counted.sku, booked.sku)               as sku,
        coalesce(counted.state, booked.state)           as state,
        coalesce(counted.snapshot_units, 0)             as snapshot_units,
        coalesce(booked.ledger_units, 0)                as ledger_units
    from counted
    full outer join booked
        on counted.node_id = booked.node_id
        and counted.date_day = booked.date_day
        and counted.sku = booked.sku
        and counted.state = booked.state
),

final as (
    select
        {{ surrogate_key(["'snapshot_mismatch'", 'compared.node_id', 'compared.date_day',
                          'compared.sku', 'compared.state']) }}
                                                        as difference_id,
        'snapshot_mismatch'                             as exception_type,
        compared.node_id,
        compared.date_day,
        compared.sku,
        compared.state,
        cast(compared.snapshot_units as {{ dbt.type_int() }})
                                                        as snapshot_units,
        cast(compared.ledger_units as {{ dbt.type_int() }})
                                                        as ledger_units,
        cast(compared.snapshot_units - compared.ledger_units as {{ dbt.type_int() }})
                                                        as difference_units,
        counts_taken.snapshot_at                        as detected_at,
        counts_taken.loaded_at
    from compared
    inner join counts_taken
        on compared.node_id = counts_taken.node_id
        and compared.date_day = counts_taken.date_day
    where compared.snapshot_units <> compared.ledger_units
)

select * from final
