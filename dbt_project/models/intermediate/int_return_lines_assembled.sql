-- Every return line with its stages, the product, the canonical reason, the policy that
-- applies and what it expects to refund, the disposition's target state and recovery value.
-- fct_return_lines adds the exception flags; fct_return_exceptions reads this model.
--
-- Policy (seeds/_seeds.yml, return_policies): category of the SKU x channel of the original sale
-- x region x customer segment. Region is the order's ship-to country (Shopify shipping address,
-- Amazon ship-country) or, for a store purchase (no order), the store's region; the segment is
-- `member` when the Shopify customer's tags hold `member`, else standard. Within the window when
-- initiated_at <= ordered_at + window_days (store purchases always); expected refund =
-- round(unit_price * quantity * (100 - restocking_fee_pct) / 100, 2) within, else 0.00.
with return_lines as (
    select * from {{ ref('int_return_lines_unioned') }}
),

stages as (
    select * from {{ ref('int_return_stages_pivoted') }}
),

products as (
    select * from {{ ref('products') }}
),

reason_code_map as (
    select * from {{ ref('reason_code_map') }}
),

reason_codes as (
    select * from {{ ref('reason_codes') }}
),

nodes as (
    select * from {{ ref('nodes') }}
),

return_policies as (
    select * from {{ ref('return_policies') }}
),

disposition_rules as (
    select * from {{ ref('disposition_rules') }}
),

shopify_orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

amazon_order_lines as (
    select * from {{ ref('stg_amazon__order_lines') }}
),

-- the policy keys of every order a return can name (Shopify GIDs and Amazon ids never collide)
orders as (
    select
        order_id,
        ordered_at,
        ship_country                                    as region,
        -- tags are one comma-separated text ('member, newsletter'): match the whole tag
        case
            when {{ dbt.concat(["','", "replace(coalesce(customer_tags, ''), ' ', '')", "','"]) }}
                like '%,member,%'
                then 'member'
            else 'standard'
        end                                             as customer_segment
    from shopify_orders
    union all
    select
        order_id,
        min(ordered_at)                                 as ordered_at,
        min(ship_country)                               as region,
        'standard'                                      as customer_segment
    from amazon_order_lines
    group by order_id
),

keyed as (
    select
        return_lines.*,
        products.category,
        products.vendor_id,
        products.unit_price,
        products.unit_cost,
        reason_code_map.reason_code,
        reason_codes.reason_group,
        orders.ordered_at,
        case
            when return_lines.order_id is null then store_nodes.region
            else orders.region
        end                                             as region,
        case
            when return_lines.order_id is null then 'standard'
            else orders.customer_segment
        end                                             as customer_segment
    from return_lines
    left join products
        on return_lines.sku = products.sku
    left join reason_code_map
        on return_lines.source = reason_code_map.source_system
        and return_lines.source_reason_code = reason_code_map.source_code
    left join reason_codes
        on reason_code_map.reason_code = reason_codes.reason_code
    left join orders
        on return_lines.order_id = orders.order_id
    left join nodes as store_nodes
        on return_lines.node_id = store_nodes.node_id
),

policed as (
    select
        keyed.*,
        return_policies.window_days,
        return_policies.restocking_fee_pct,
        case
            when keyed.order_id is null then true
            when keyed.ordered_at is null or return_policies.window_days is null then null
            else keyed.initiated_at
                <= {{ dbt.dateadd('day', 'return_policies.window_days', 'keyed.ordered_at') }}
        end                                             as within_window
    from keyed
    left join return_policies
        on keyed.category = return_policies.category
        and keyed.channel = return_policies.channel_id
        and keyed.region = return_policies.region
        and keyed.customer_segment = return_policies.customer_segment
),

final as (
    select
        ---------- identity
        policed.return_line_id,
        policed.return_id,
        policed.source,
        policed.channel,
        policed.order_id,
        policed.sku,
        policed.category,
        policed.vendor_id,
        cast(policed.quantity as {{ dbt.type_int() }}) as quantity,
        policed.reason_code,
        policed.reason_group,
        policed.source_reason_code,
        policed.region,
        policed.customer_segment,
        policed.within_window,
        policed.ordered_at,
        coalesce(stages.received_node_id, policed.node_id) as node_id,
        ---------- stages
        stages.initiated_at,
        stages.label_created_at,
        stages.in_transit_at,
        stages.delivered_at,
        stages.received_at,
        stages.received_recorded_at,
        stages.inspected_at,
        stages.disposition_assigned_at,
        stages.inventory_updated_at,
        stages.resolved_at,
        stages.declined_at,
        stages.cancelled_at,
        stages.resolution,
        ---------- inspection
        stages.grade,
        stages.disposition,
        -- a DC line's state comes from the rules for its grade; a store books the unit into
        -- available or damaged when the till return syncs
        case
            when policed.source = 'pos' then stages.received_state
            else disposition_rules.target_state
        end                                             as target_state,
        stages.received_quantity,
        stages.inspected_quantity,
        ---------- status: declined / cancelled end a line, else the furthest stage reached
        case
            when stages.declined_at is not null then 'declined'
            when stages.cancelled_at is not null then 'cancelled'
            when stages.resolved_at is not null then 'resolved'
            when stages.inspected_at is not null then 'inspected'
            when stages.received_at is not null then 'received'
            when stages.delivered_at is not null then 'delivered'
            when stages.in_transit_at is not null then 'in_transit'
            when stages.label_created_at is not null then 'label_created'
            else 'initiated'
        end                                             as status,
        ---------- money
        policed.unit_price,
        policed.unit_cost,
        cast(policed.unit_price * policed.quantity as decimal(18, 2))
                                                        as original_value,
        stages.refund_amount,
        cast(
            case
                when policed.within_window then
                    round(policed.unit_price * policed.quantity
                          * (100 - policed.restocking_fee_pct) / 100, 2)
                when not policed.within_window then 0
            end
        as decimal(18, 2))                              as expected_refund,
        {{ recovery_value('stages.disposition', 'policed.unit_price', 'policed.unit_cost',
                          'policed.quantity') }}        as recovery_value
    from policed
    left join stages
        on policed.return_line_id = stages.return_line_id
    left join disposition_rules
        on policed.reason_code = disposition_rules.reason_code
        and stages.grade = disposition_rules.grade
        and policed.category = disposition_rules.category
)

select * from final
