"""The automation conditions of the live pipeline, in one place (issue 7: event-driven refresh).

One landing batch should become one run: the raw table, its contract check, the dbt models and
tests downstream, the mart checks, the publish. Dagster's conditions count what *will be
requested* in the same tick, so `eager()` chains do that, with two gaps filled here:

- On its first evaluation a condition treats everything as already handled (enabling
  automation does not rebuild the world), so `eager()` requests nothing on a fresh instance.
  `never_built()` requests an asset that has never been materialized once everything it needs
  exists or is requested in the same tick: on a fresh warehouse the first tick builds the
  whole graph in one run.
- A check without a condition rides along: Dagster adds it to the run of its asset whenever
  automation requests the asset. The dbt tests are such checks (`defs/transform/dbt.py`). A
  check with a condition is scheduled by it alone: `WITH_ITS_ASSET` (the GX checks) requests it
  whenever its asset is requested, and after any other update of it.
- An event-date partitioned mart (`orchestration.partitions`) is requested for its latest day
  only (its past days are rebuilt by a backfill), and Dagster's `any_deps_missing()` would count
  every past day never built as missing upstream of the publish: `eager_latest()` and
  `never_built()` ask only whether the latest day of a partitioned input is missing.
"""

import dagster as dg

AC = dg.AutomationCondition


def any_deps_missing_latest() -> dg.AutomationCondition:
    """`any_deps_missing()`, where a time-partitioned input counts only its latest day."""
    return AC.any_deps_match(
        AC.missing() & AC.in_latest_time_window() & ~AC.will_be_requested()
    ).with_label("any_deps_missing_latest")


def eager_latest() -> dg.AutomationCondition:
    """Dagster's `eager()` with `any_deps_missing_latest()`: a past day of a partitioned input
    never built does not hold everything downstream of it forever."""
    return (
        AC.in_latest_time_window()
        & (AC.newly_missing() | AC.any_deps_updated()).since_last_handled()
        & ~any_deps_missing_latest()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("eager")


def never_built() -> dg.AutomationCondition:
    """Never materialized (for a partitioned asset: its latest day), everything it reads exists
    (or comes in this tick), not running, not failed last time (a failed first build waits for
    news instead of retrying every tick)."""
    return (
        AC.missing()
        & AC.in_latest_time_window()
        & ~any_deps_missing_latest()
        & ~AC.in_progress()
        & ~AC.execution_failed()
    ).with_label("never_built")


def _deps_blocking_checks_in_progress() -> dg.AutomationCondition:
    return AC.any_deps_match(AC.any_checks_match(AC.in_progress(), blocking_only=True)).with_label(
        "any_deps_blocking_checks_in_progress"
    )


# raw/*: new files reported on the landing asset; or a table never loaded (its landing asset may
# never have been reported: an entity without files still lands as an empty table)
RAW = (
    eager_latest()
    | (AC.missing() & ~AC.in_progress() & ~AC.execution_failed()).with_label("never_loaded")
).with_label("on_new_files")

# dbt models: anything upstream updated; never while a blocking check of an input has yet to
# execute in its run (dbt waits for the raw table's contract verdict)
MODEL = ((eager_latest() | never_built()) & ~_deps_blocking_checks_in_progress()).with_label(
    "eager_after_deps_checks"
)

# An event-date partitioned mart (a per-day aggregate, `orchestration.partitions`): its latest
# day on a cadence, not per landing batch. Dagster runs a partitioned asset apart from the
# unpartitioned ones, so per batch it would be two more runs (the mart, then the publish again)
# holding the warehouse's one slot while the next batch waits: the batch's events are served
# by the first run, the day's backlog figures within this cadence. Built once its inputs exist
# (`never_built`), then after each cadence tick when anything upstream changed since its last
# request.
PARTITIONED_REFRESH_CRON = "*/10 * * * *"
PARTITIONED_LATEST_DAY = (
    (
        AC.in_latest_time_window()
        & AC.cron_tick_passed(PARTITIONED_REFRESH_CRON).since(AC.newly_requested())
        & AC.any_deps_updated().since(AC.newly_requested())
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("latest_day_every_ten_minutes")
    | never_built()
) & ~_deps_blocking_checks_in_progress()

# dbt seeds have no upstream: loaded when missing and whenever the CSV changes (dbt's checksum
# is the asset's code version)
SEED = (
    (AC.missing() & ~AC.in_progress() & ~AC.execution_failed()).with_label("missing")
    | AC.code_version_changed()
).with_label("seed_missing_or_changed")

# the serving publish and the exception alerts: after the marts, never past a failed blocking
# check. A check requested in the same tick gates them inside the run; a failed one not rerun
# holds them. (`all_deps_blocking_checks_passed()` would say the same, but it reads whether a
# check "will be requested" before every check of the tick is evaluated, and then waits a run.)
AFTER_BLOCKING_CHECKS = (
    (eager_latest() | never_built())
    & ~AC.any_deps_match(
        AC.any_checks_match(AC.check_failed() & ~AC.will_be_requested(), blocking_only=True)
    ).with_label("any_deps_blocking_checks_failed")
).with_label("eager_after_blocking_checks")

# a check runs in the run that builds its asset, and after any other update of it
WITH_ITS_ASSET = (eager_latest() | AC.any_deps_match(AC.will_be_requested())).with_label(
    "with_its_asset"
)


# the per-source freshness checks: after any load (the data clock moves), and hourly (the wall
# clock moves when nothing arrives at all)
HOURLY = "0 * * * *"
AFTER_ANY_LOAD_OR_HOURLY = (
    (
        (AC.any_deps_updated() | AC.cron_tick_passed(HOURLY)).since_last_handled()
        | AC.any_deps_match(AC.will_be_requested())
    )
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("after_any_load_or_hourly")
