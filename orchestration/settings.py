"""Settings of the live deployment read from the environment (paths come from `ingest.paths`)."""

import os

# How often the daemon evaluates our sensors (landing zone, automation conditions, alerts).
# Dagster's sensor loop turns at most every 5 s, so values below 5 act as 5.
SENSOR_INTERVAL_ENV = "RETURNOPS_SENSOR_INTERVAL_SECONDS"
# 10 s: a landing file waits up to one landing tick and one automation tick before its run starts
# (the latency target is 60 s from landing to serving); an idle evaluation costs ~1-3 s of CPU.
DEFAULT_SENSOR_INTERVAL_SECONDS = 10


def sensor_interval_seconds(default: int = DEFAULT_SENSOR_INTERVAL_SECONDS) -> int:
    """`RETURNOPS_SENSOR_INTERVAL_SECONDS` (tests set a few seconds), else `default`."""
    text = os.environ.get(SENSOR_INTERVAL_ENV, "").strip()
    try:
        return max(1, int(text)) if text else default
    except ValueError:
        return default
