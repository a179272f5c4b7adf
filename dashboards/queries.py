"""Every read the dashboards make from the serving snapshot.

Each function takes the snapshot version as its first argument only so that it is part of the
cache key: a newly published snapshot misses the cache, an unchanged one is served from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboards.serving import serving_connection

CACHE_TTL_SECONDS = 300

CYCLE_TIME_BY_CHANNEL = """
    select
        channel,
        return_lines,
        resolved_lines,
        median_cycle_time_hours,
        p90_cycle_time_hours
    from main.rpt_cycle_time_by_channel
    order by channel
"""

SNAPSHOT_INFO = """
    select published_at, version
    from main._snapshot
    order by published_at desc
    limit 1
"""


@dataclass(frozen=True)
class SnapshotInfo:
    published_at: datetime
    version: str


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cycle_time_by_channel(snapshot_version: str) -> pd.DataFrame:
    """One row per channel: line counts and median / p90 cycle time in hours."""
    with serving_connection() as con:
        return con.execute(CYCLE_TIME_BY_CHANNEL, []).df()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def snapshot_info(snapshot_version: str) -> SnapshotInfo | None:
    """When the snapshot was published and the pipeline's version label; None if unrecorded."""
    with serving_connection() as con:
        row = con.execute(SNAPSHOT_INFO, []).fetchone()
    if row is None:
        return None
    published_at, version = row
    return SnapshotInfo(published_at=published_at, version=version)
