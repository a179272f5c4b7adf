"""Every read the dashboards make from the serving snapshot, one module per page.

Each cached function takes the snapshot version as its first argument only so that it is part of
the cache key (a newly published snapshot misses the cache, an unchanged one is served from it),
then the `Filters` and any page control, all bound as query parameters. Each module's `load`
runs what its page runs (the benchmark times it); `headlines` returns the page's headline
numbers from a given snapshot, for tests against the simulator's truth.
"""

from dashboards.queries import (
    common,
    exceptions,
    inspection,
    inventory,
    lifecycle,
    overview,
    recovery,
    refunds,
    writeback,
)
from dashboards.queries._base import CACHE_TTL_SECONDS
from dashboards.queries.common import SnapshotInfo, snapshot_info
from dashboards.queries.lifecycle import cycle_time_by_channel

__all__ = [
    "CACHE_TTL_SECONDS",
    "SnapshotInfo",
    "common",
    "cycle_time_by_channel",
    "exceptions",
    "inspection",
    "inventory",
    "lifecycle",
    "overview",
    "recovery",
    "refunds",
    "snapshot_info",
    "writeback",
]
