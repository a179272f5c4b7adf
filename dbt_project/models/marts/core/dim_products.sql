-- The catalogue: one row per SKU, from the products seed.
with products as (
    select * from {{ ref('products') }}
),

final as (
    select
        sku,
        product_name,
        category,
        vendor_id,
        cast(unit_price as decimal(18, 2))                  as unit_price,
        cast(unit_cost as decimal(18, 2))                   as unit_cost,
        ---------- added beyond docs/marts.md
        style_id,
        size,
        shopify_inventory_item_id,
        asin,
        fnsku
    from products
)

select * from final
