-- Sales channels, from the channels seed.
with channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        channel_id,
        channel_name,
        platform,
        channel_kind,
        writeback_protocol
    from channels
)

select * from final
