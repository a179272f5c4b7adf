-- Facilities: the two distribution centres and the stores, from the nodes seed.
with nodes as (
    select * from {{ ref('nodes') }}
),

final as (
    select
        node_id,
        node_type,
        node_name,
        region,
        shopify_location_id,
        ---------- added beyond docs/marts.md
        city
    from nodes
)

select * from final
