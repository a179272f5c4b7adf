-- Units sold per day, channel, shipping DC and category: the denominator of the return rate.
-- Order lines from Shopify (web, zalando) and the Amazon orders report; the DC is where the WMS
-- committed the line (the first ALLOCATE adjustment naming the order and SKU), null when
-- neither DC had it. `orders` counts distinct orders within the row (not additive across rows).
with shopify_order_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
),

amazon_order_lines as (
    select * from {{ ref('stg_amazon__order_lines') }}
),

adjustments as (
    select * from {{ ref('stg_wms__adjustments') }}
    where wms_reason_code = 'ALLOCATE'
),

products as (
    select * from {{ ref('products') }}
),

order_lines as (
    select order_id, channel, sku, quantity, line_amount, ordered_at
    from shopify_order_lines
    union all
    select order_id, 'amazon' as channel, sku, quantity, line_amount, ordered_at
    from amazon_order_lines
),

allocations as (
    {{ deduplicate('adjustments', 'reference, sku', 'adjusted_at, adjustment_id') }}
),

final as (
    select
        cast(order_lines.ordered_at as date)                        as date_day,
        order_lines.channel,
        allocations.node_id,
        products.category,
        cast(count(distinct order_lines.order_id) as {{ dbt.type_int() }})
                                                                    as orders,
        cast(sum(order_lines.quantity) as {{ dbt.type_int() }})     as units_sold,
        cast(sum(order_lines.line_amount) as decimal(18, 2))        as sales_value
    from order_lines
    left join allocations
        on order_lines.order_id = allocations.reference
        and order_lines.sku = allocations.sku
    left join products
        on order_lines.sku = products.sku
    group by 1, 2, 3, 4
)

select * from final
