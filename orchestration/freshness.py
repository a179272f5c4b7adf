"""Freshness from the SLA seed: Dagster freshness policies, and the verdict on a silent source.

Two questions, two answers:

- *Did the pipeline keep the asset up to date?* Dagster's `FreshnessPolicy.time_window` on the
  raw tables (fail after the source's `source_freshness` SLA without a materialization) and on
  the marts and the serving snapshot (warn after the tightest SLA of the sources feeding them,
  fail after the loosest). The freshness daemon judges them on the wall clock and the asset
  pages show the verdict.
- *Has the source gone silent?* The `<source>_freshness` asset checks compare the source's
  newest **record** time in `raw.*` with the freshness clock of `writeback.freshness` (explicit
  `RETURNOPS_FRESHNESS_NOW`, `wall`, or by default the data clock: the newest record of any
  source, because the simulated history sits in the past). A source whose newest record is older
  than its SLA fails its check. This is the same judgement the write-back guard makes, from the
  same functions, so the Dagster UI and the guard never disagree.

SLAs are read from `dbt_project/seeds/sla_targets.csv` when the definitions load: the seed is the
one place they are set, for dbt, the simulator, the guard and Dagster alike.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import dagster as dg

from ingest.sources import ENTITIES
from ingest.warehouse import connect
from writeback.freshness import (
    SLA_SEED,
    SourceFreshness,
    freshness_clock,
    freshness_slas,
    newest_record_times,
)

# Operators deciding nothing for a week deserves a look (WARN), not an incident; and approvals
# gate corrections one by one, they never make a mart stale.
WARN_ONLY_SOURCES = frozenset({"approvals"})
NOT_FEEDING_MARTS = frozenset({"approvals"})


@cache
def source_slas(seed_csv: Path = SLA_SEED) -> dict[str, float]:
    """Hours of silence tolerated per source: the `source_freshness` rows of the seed CSV."""
    return freshness_slas(None, seed_csv)


def sources() -> tuple[str, ...]:
    """Every source with raw tables, in the order of `ingest.sources.ENTITIES`."""
    return tuple(dict.fromkeys(entity.source for entity in ENTITIES))


def raw_freshness_policy(source: str) -> dg.FreshnessPolicy | None:
    """Fail when a raw table of `source` has not been loaded for longer than its SLA."""
    hours = source_slas().get(source)
    if hours is None:
        return None
    return dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=hours))


def derived_freshness_policy(feeding: Iterable[str]) -> dg.FreshnessPolicy | None:
    """For an asset built from `feeding` sources: warn after the tightest of their SLAs (its
    fastest feed has news by then), fail after the loosest (no feed explains the silence)."""
    slas = source_slas()
    hours = sorted({slas[s] for s in feeding if s in slas and s not in NOT_FEEDING_MARTS})
    if not hours:
        return None
    fail, warn = hours[-1], hours[0]
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=fail),
        warn_window=timedelta(hours=warn) if warn < fail else None,
    )


def judge_sources(
    newest: Mapping[str, datetime | None],
    slas: Mapping[str, float],
    now: datetime | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, SourceFreshness], str]:
    """Each source with an SLA against the freshness clock: ({source: verdict}, how the clock
    was chosen). A source with an SLA and no records at all is stale ("nothing loaded")."""
    clock, how = freshness_clock(newest, now, environ)
    verdicts = {
        source: SourceFreshness(source, slas[source], newest.get(source), clock) for source in slas
    }
    return verdicts, how


def read_source_freshness(
    warehouse: Path,
    now: datetime | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, SourceFreshness], str]:
    """Newest record time of every source (one short read-only connection), judged."""
    everything = sources()
    if warehouse.exists():
        with connect(warehouse, read_only=True) as con:
            newest = newest_record_times(con, everything)
    else:
        newest = dict.fromkeys(everything)
    slas = {s: h for s, h in source_slas().items() if s in everything}
    return judge_sources(newest, slas, now, environ)


def newest_landing_file(landing: Path, source: str) -> str | None:
    """The most recently modified file in `landing/<source>/` (what arrived last)."""
    folder = landing / source
    if not folder.is_dir():
        return None
    files = [(p.stat().st_mtime, p.name) for p in folder.iterdir() if p.is_file()]
    return max(files)[1] if files else None


def freshness_check_result(
    verdict: SourceFreshness,
    clock: str,
    newest_file: str | None = None,
    check_key: dg.AssetCheckKey | None = None,
) -> dg.AssetCheckResult:
    """The `<source>_freshness` verdict: fails when the source has been silent past its SLA;
    ERROR severity, except approvals (WARN)."""
    severity = (
        dg.AssetCheckSeverity.WARN
        if verdict.source in WARN_ONLY_SOURCES
        else dg.AssetCheckSeverity.ERROR
    )
    age = verdict.age_hours
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key if check_key else None,
        check_name=check_key.name if check_key else None,
        passed=not verdict.stale,
        severity=severity,
        description=f"{verdict.reason}; clock: {clock}.",
        metadata={
            "sla_hours": dg.MetadataValue.float(float(verdict.max_age_hours)),
            "age_hours": dg.MetadataValue.float(round(age, 2)) if age is not None else "none",
            "newest_record_at": (
                f"{verdict.newest_at:%Y-%m-%d %H:%M:%S}" if verdict.newest_at else "none"
            ),
            "now": f"{verdict.now:%Y-%m-%d %H:%M:%S}",
            "clock": clock,
            "newest_file": newest_file or "none",
        },
    )
