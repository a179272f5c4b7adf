-- DuckDB-only syntax: `unnest` of the line_items list and `.` access into its structs (dbt has
-- no cross-database unnest; on Spark this is `explode`, on Snowflake `lateral flatten`).
with source as (
    select * from {{ source('shopify', 'orders') }}
),

unnested as (
    select
        admin_graphql_api_id,
        source_name,
        currency,
        created_at,
        _loaded_at,
        _file,
        _row,
        unnest(line_items)                      as line
    from source
),

renamed as (
    select
        ---------- ids
        {{ shopify_gid('LineItem', 'line.id') }}
                                                as line_item_id,
        admin_graphql_api_id                    as order_id,
        line.sku                                as sku,
        ---------- attributes
        source_name                             as channel,
        currency,
        ---------- numerics
        line.quantity                           as quantity,
        cast(line.price as decimal(18, 2))      as unit_price,
        ---------- timestamps
        created_at                              as ordered_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from unnested
),

-- a re-sent order repeats its lines: one row per line item, the first payload's
deduplicated as (
    {{ deduplicate('renamed', 'line_item_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        line_item_id,
        order_id,
        sku,
        channel,
        currency,
        quantity,
        unit_price,
        cast(unit_price * quantity as decimal(18, 2))
                                                as line_amount,
        ordered_at,
        loaded_at
    from deduplicated
)

select * from final
