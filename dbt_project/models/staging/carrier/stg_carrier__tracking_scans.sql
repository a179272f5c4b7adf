-- DuckDB-only syntax: `unnest` of result.tracking_details and `.` access into its structs.
with source as (
    select * from {{ source('carrier', 'tracker_events') }}
),

unnested as (
    select
        id,
        result.id                               as tracker_id,
        result.tracking_code                    as tracking_code,
        result.carrier                          as carrier,
        created_at,
        _loaded_at,
        _file,
        _row,
        unnest(result.tracking_details)         as scan
    from source
),

renamed as (
    select
        ---------- ids
        {{ surrogate_key(['tracking_code', 'lower(scan.status)',
                          iso_to_utc_timestamp('scan.datetime')]) }}
                                                as tracking_scan_id,
        tracking_code,
        tracker_id,
        id                                      as first_tracker_event_id,
        ---------- attributes
        carrier,
        lower(scan.status)                      as scan_status,
        scan.message                            as scan_message,
        scan.tracking_location.city             as scan_city,
        scan.tracking_location.country          as scan_country,
        ---------- timestamps
        {{ iso_to_utc_timestamp('scan.datetime') }}
                                                as scanned_at,
        created_at                              as recorded_at,
        _loaded_at                              as loaded_at,
        ---------- lineage (dedupe order)
        created_at,
        _loaded_at,
        _file,
        _row
    from unnested
),

-- every event repeats all scans so far: one row per scan (tracking code × status × datetime),
-- from the first event that carried it, so recorded_at is when the carrier first reported it
deduplicated as (
    {{ deduplicate('renamed', 'tracking_scan_id', 'created_at, _loaded_at, _file, _row') }}
),

final as (
    select
        tracking_scan_id,
        tracking_code,
        tracker_id,
        first_tracker_event_id,
        carrier,
        scan_status,
        scan_message,
        scan_city,
        scan_country,
        scanned_at,
        recorded_at,
        loaded_at
    from deduplicated
)

select * from final
