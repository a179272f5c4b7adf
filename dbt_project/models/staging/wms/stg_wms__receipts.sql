with source as (
    select * from {{ source('wms', 'receipts') }}
),

renamed as (
    select
        ---------- ids
        receipt_id,
        dc_id                                   as node_id,
        rma_number,
        sku,
        ---------- attributes
        nullif(trim(condition_note), '')        as condition_note,
        ---------- numerics
        quantity,
        ---------- timestamps
        received_at,
        _loaded_at                              as loaded_at,
        row_number() over (
            partition by receipt_id, sku order by _loaded_at, _file, _row
        )                                       as payload_rank
    from source
)

-- a receipt line exported twice (overlapping export windows) is one receipt line
select * exclude (payload_rank)
from renamed
where payload_rank = 1
