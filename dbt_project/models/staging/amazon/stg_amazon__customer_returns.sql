with source as (
    select * from {{ source('amazon', 'customer_returns') }}
),

renamed as (
    select
        ---------- ids
        "license-plate-number"                  as license_plate_number,
        "order-id"                              as order_id,
        sku,
        asin,
        fnsku,
        "fulfillment-center-id"                 as fulfillment_center_id,
        ---------- attributes
        "product-name"                          as product_name,
        lower("detailed-disposition")           as detailed_disposition,
        reason                                  as amazon_reason,
        status                                  as amazon_status,
        nullif(trim("customer-comments"), '')   as customer_comments,
        ---------- numerics
        quantity,
        ---------- timestamps
        "return-date"                           as returned_at,
        -- Amazon back-dates the report: the source recorded the row on the report date that the
        -- file name carries (fba_customer_returns_<date>.tsv), not on return-date
        cast({{ file_name_date('_file', 'fba_customer_returns_') }} as {{ dbt.type_timestamp() }})
                                                as recorded_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- overlapping report windows list the same returned unit again: one row per license plate,
-- from the earliest report (then the first loaded)
deduplicated as (
    {{ deduplicate('renamed', 'license_plate_number', 'recorded_at, _loaded_at, _file, _row') }}
),

final as (
    select
        license_plate_number,
        order_id,
        sku,
        asin,
        fnsku,
        fulfillment_center_id,
        product_name,
        detailed_disposition,
        amazon_reason,
        amazon_status,
        customer_comments,
        quantity,
        returned_at,
        recorded_at,
        loaded_at
    from deduplicated
)

select * from final
