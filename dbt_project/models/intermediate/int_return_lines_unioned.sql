-- Every return line of every source, with what links other sources to it: the Shopify return
-- name or the Amazon license plate is the RMA a WMS receipt carries (per SKU); the Amazon
-- license plate and the POS line id are what a credit memo's return_reference names.
with shopify_return_lines as (
    select * from {{ ref('stg_shopify__return_lines') }}
),

shopify_orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

amazon_returns as (
    select * from {{ ref('stg_amazon__customer_returns') }}
),

store_returns as (
    select * from {{ ref('stg_pos__store_returns') }}
),

shopify as (
    select
        shopify_return_lines.return_line_id,
        shopify_return_lines.return_id,
        'shopify'                                       as source,
        shopify_orders.channel,
        shopify_return_lines.order_id,
        shopify_return_lines.line_item_id,
        shopify_return_lines.sku,
        shopify_return_lines.quantity,
        shopify_return_lines.shopify_return_reason      as source_reason_code,
        shopify_return_lines.return_name                as rma_number,
        cast(null as {{ dbt.type_string() }})           as node_id,
        shopify_return_lines.initiated_at,
        shopify_return_lines.first_recorded_at          as recorded_at,
        shopify_return_lines.loaded_at
    from shopify_return_lines
    left join shopify_orders
        on shopify_return_lines.order_id = shopify_orders.order_id
),

-- Amazon reports one returned unit per license plate and no return id: the plate is both
amazon as (
    select
        amazon_returns.license_plate_number             as return_line_id,
        amazon_returns.license_plate_number             as return_id,
        'amazon'                                        as source,
        'amazon'                                        as channel,
        amazon_returns.order_id,
        cast(null as {{ dbt.type_string() }})           as line_item_id,
        amazon_returns.sku,
        amazon_returns.quantity,
        amazon_returns.amazon_reason                    as source_reason_code,
        amazon_returns.license_plate_number             as rma_number,
        cast(null as {{ dbt.type_string() }})           as node_id,
        amazon_returns.returned_at                      as initiated_at,
        amazon_returns.recorded_at,
        amazon_returns.loaded_at
    from amazon_returns
),

-- store returns are handed over at the till: the store is known from the start, no RMA
pos as (
    select
        store_returns.return_line_id,
        store_returns.transaction_id                    as return_id,
        'pos'                                           as source,
        store_returns.channel,
        store_returns.order_id,
        cast(null as {{ dbt.type_string() }})           as line_item_id,
        store_returns.sku,
        store_returns.quantity,
        store_returns.pos_reason_code                   as source_reason_code,
        cast(null as {{ dbt.type_string() }})           as rma_number,
        store_returns.node_id,
        store_returns.returned_at                       as initiated_at,
        store_returns.synced_at                         as recorded_at,
        store_returns.loaded_at
    from store_returns
),

unioned as (
    select * from shopify
    union all
    select * from amazon
    union all
    select * from pos
)

select * from unioned
