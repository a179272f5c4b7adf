"""Carrier tracking: EasyPost `tracker.created` / `tracker.updated` webhook events, one per line.

The event's `result` is the whole Tracker: its current `status` and every scan so far in
`tracking_details`. Webhooks are delivered at least once: the same event `id` can arrive twice,
and late.
"""

from ingest.contracts import TIMESTAMP_UTC, Column, Entity

TRACKER_STATUSES = (
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
)

TRACKER_EVENTS = Entity(
    source="carrier",
    name="tracker_events",
    pattern="tracker_events_*.ndjson",
    format="ndjson",
    description="EasyPost tracker webhook events (Event objects wrapping a Tracker).",
    columns=(
        Column("id", "VARCHAR", required=True, description="Event id, evt_..."),
        Column("object", "VARCHAR"),
        Column(
            "description", "VARCHAR", required=True, allowed=("tracker.created", "tracker.updated")
        ),
        Column("created_at", TIMESTAMP_UTC, required=True),
        Column(
            "result",
            "STRUCT(id VARCHAR, tracking_code VARCHAR, status VARCHAR, carrier VARCHAR,"
            " updated_at VARCHAR, tracking_details STRUCT(message VARCHAR, status VARCHAR,"
            " datetime VARCHAR, tracking_location STRUCT(city VARCHAR, country VARCHAR))[])",
            required=True,
            description="The Tracker; its status is one of TRACKER_STATUSES.",
        ),
    ),
)

ENTITIES = (TRACKER_EVENTS,)
