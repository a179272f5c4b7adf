-- DuckDB-only syntax: `unnest` of reverseDeliveries and `.` access into its structs.
with source as (
    select * from {{ source('shopify', 'returns') }}
),

unnested as (
    select
        id                                      as return_id,
        name                                    as return_name,
        "order".id                              as order_id,
        "updatedAt"                             as updated_at,
        _loaded_at,
        _file,
        _row,
        unnest("reverseDeliveries")             as delivery
    from source
),

renamed as (
    select
        ---------- ids
        coalesce(
            delivery.id,
            {{ record_key(['return_id', 'delivery.deliverable.tracking.number']) }}
        )                                       as reverse_delivery_id,
        return_id,
        return_name,
        order_id,
        delivery.deliverable.tracking.number    as tracking_number,
        ---------- attributes
        delivery.deliverable.tracking.carrierName
                                                as carrier_name,
        ---------- timestamps
        {{ iso_to_utc_timestamp('delivery.deliverable.label.createdAt') }}
                                                as label_created_at,
        updated_at                              as first_recorded_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        updated_at,
        _loaded_at,
        _file,
        _row
    from unnested
),

-- every later payload of the return repeats its deliveries: keep the earliest
deduplicated as (
    {{ deduplicate('renamed', 'reverse_delivery_id', 'updated_at, _loaded_at, _file, _row') }}
),

final as (
    select
        reverse_delivery_id,
        return_id,
        return_name,
        order_id,
        tracking_number,
        carrier_name,
        label_created_at,
        first_recorded_at,
        loaded_at
    from deduplicated
)

select * from final
