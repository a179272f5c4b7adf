with source as (
    select * from {{ source('approvals', 'decisions') }}
),

renamed as (
    select
        ---------- ids
        approval_id,
        operator                                as operator_id,
        correction_ids,
        ---------- attributes
        lower(role)                             as operator_role,
        lower(decision)                         as decision,
        note,
        ---------- timestamps
        decided_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- the dashboard may drop the same decision twice (a retried write): one row per approval id
deduplicated as (
    {{ deduplicate('renamed', 'approval_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        approval_id,
        operator_id,
        operator_role,
        decision,
        correction_ids,
        note,
        decided_at,
        loaded_at
    from deduplicated
)

select * from final
