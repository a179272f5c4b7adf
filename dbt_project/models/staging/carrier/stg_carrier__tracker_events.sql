-- DuckDB-only syntax: `.` access into the result struct (the Tracker).
with source as (
    select * from {{ source('carrier', 'tracker_events') }}
),

renamed as (
    select
        ---------- ids
        id                                      as tracker_event_id,
        result.id                               as tracker_id,
        result.tracking_code                    as tracking_code,
        ---------- attributes
        description                             as event_description,
        result.carrier                          as carrier,
        lower(result.status)                    as tracker_status,
        ---------- timestamps
        created_at,
        {{ iso_to_utc_timestamp('result.updated_at') }}
                                                as tracker_updated_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        _loaded_at,
        _file,
        _row
    from source
),

-- webhooks are delivered at least once: the same event id again is the same event
deduplicated as (
    {{ deduplicate('renamed', 'tracker_event_id', '_loaded_at, _file, _row') }}
),

final as (
    select
        tracker_event_id,
        tracker_id,
        tracking_code,
        event_description,
        carrier,
        tracker_status,
        created_at,
        tracker_updated_at,
        loaded_at
    from deduplicated
)

select * from final
