-- What each channel shows now against what it may sell now, per SKU × channel: the latest
-- published quantity (summed over the channel's locations when it publishes per location,
-- e.g. the Shopify locations of the web shop and of zalando) against the channel's ATP on the last day.
-- Only channels that publish stock (stores publish nothing) and SKUs they have published.
--
--   oversell_risk_units = published - ATP when the channel shows more than it can sell
--   hidden_units        = ATP - published when it shows less

with published as (
    select * from {{ ref('int_inventory_publications_latest') }}
),

channel_atp as (
    select * from {{ ref('fct_channel_atp') }}
    where is_latest
),

shown as (
    select
        channel,
        sku,
        sum(published_quantity)                         as published_quantity,
        max(published_at)                               as published_at,
        cast(count(*) as {{ dbt.type_int() }})          as locations
    from published
    group by
        channel,
        sku
),

final as (
    select
        shown.channel,
        shown.sku,
        cast(shown.published_quantity as {{ dbt.type_int() }})
                                                        as published_quantity,
        cast(coalesce(channel_atp.atp, 0) as {{ dbt.type_int() }})
                                                        as atp,
        cast(greatest(shown.published_quantity - coalesce(channel_atp.atp, 0), 0)
            as {{ dbt.type_int() }})                    as oversell_risk_units,
        cast(greatest(coalesce(channel_atp.atp, 0) - shown.published_quantity, 0)
            as {{ dbt.type_int() }})                    as hidden_units,
        shown.published_at,
        cast(shown.published_quantity - coalesce(channel_atp.atp, 0) as {{ dbt.type_int() }})
                                                        as gap_units,
        (select max(date_day) from {{ ref('fct_channel_atp') }})
                                                        as atp_date,
        shown.locations
    from shown
    left join channel_atp
        on shown.channel = channel_atp.channel
        and shown.sku = channel_atp.sku
)

select * from final
