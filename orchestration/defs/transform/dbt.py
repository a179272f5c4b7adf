"""The dbt project as Dagster assets: sources map onto the raw ingest assets.

Models, seeds and their tests follow ingest by automation (`orchestration.conditions`): a model
runs when anything upstream was updated, never on a blind cron, and each dbt test runs with its
model, so a landing file flows through staging, the marts and their tests in the run that loads
it. Marts carry a freshness policy from the SLAs of the sources feeding them
(`orchestration.freshness`). Every table and seed dbt builds is counted by our own query, run
by dbt as a post-hook (`macros/row_count.sql`): the count is the materialization's
`dagster/row_count`, and each event reaches Dagster while dbt is still building.

Two multi-assets share one build function: the models tagged `event_date_partitioned` are
daily-partitioned by event date with `BackfillPolicy.single_run()` (`orchestration.partitions`:
a range of days is one run, its window passed to dbt as vars); every other model is not.
"""

import importlib.metadata
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from ingest.paths import returnops_home
from orchestration.conditions import MODEL, PARTITIONED_LATEST_DAY, SEED
from orchestration.dbt_manifest import (
    dbt_executable,
    ensure_current_manifest,
    keep_partial_parse,
    parse_state_key,
    seed_parse_state,
)
from orchestration.freshness import derived_freshness_policy
from orchestration.partitions import EVENT_DATE_PARTITIONS, EVENT_DATE_TAG, run_dbt_vars

# dbt runs in a subprocess with its own working directory: pin RETURNOPS_HOME to the absolute
# path the Python side uses, so both always open the same warehouse file.
os.environ["RETURNOPS_HOME"] = str(returnops_home())

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# where each invocation's target folder and the kept parse states live
PROJECT_TARGET = dbt_project.project_dir / "target"
# Not `dbt_project.prepare_if_dev()`: under `dagster dev` that parses on every code load, in
# place, racing whoever reads the manifest meanwhile. This parses only when the manifest is
# missing or older than the project (a fresh clone, an edited model), and atomically.
ensure_current_manifest(dbt_project)

INDIRECT_SELECTION_ENV = "DBT_INDIRECT_SELECTION"

LAYER_GROUPS = {"staging": "staging", "intermediate": "staging", "marts": "marts"}
# seeds are rules and reference data that staging and the marts read: inputs, like staging
SEED_GROUP = "staging"
OWNERS = ["team:analytics-engineering"]


def mart_models() -> tuple[str, ...]:
    """Every model under `models/marts/` (any subfolder): what the serving snapshot copies."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return tuple(
        sorted(
            node["name"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        )
    )


def upstream_sources(manifest: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """For every node of the manifest, the dbt sources (by source name) upstream of it."""
    parents = manifest["parent_map"]
    memo: dict[str, frozenset[str]] = {}

    def walk(uid: str) -> frozenset[str]:
        if uid not in memo:
            memo[uid] = frozenset()  # a cycle (none in dbt) ends here
            source = manifest["sources"].get(uid)
            found = {source["source_name"]} if source else set()
            for parent in parents.get(uid, []):
                found |= walk(parent)
            memo[uid] = frozenset(found)
        return memo[uid]

    for uid in [*manifest["nodes"], *manifest["sources"]]:
        walk(uid)
    return memo


_UPSTREAM: dict[int, dict[str, frozenset[str]]] = {}


def _upstream(manifest: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """`upstream_sources`, once per manifest object (the translator asks node by node)."""
    if id(manifest) not in _UPSTREAM:
        _UPSTREAM.clear()
        _UPSTREAM[id(manifest)] = upstream_sources(manifest)
    return _UPSTREAM[id(manifest)]


@cache
def _manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text())


def feeding_sources(models: tuple[str, ...]) -> frozenset[str]:
    """The sources upstream of any of these models (by name)."""
    manifest = _manifest()
    sources = _upstream(manifest)
    wanted = set(models)
    return frozenset().union(
        *(sources.get(uid, frozenset()) for uid, n in manifest["nodes"].items()
          if n["name"] in wanted)
    )  # fmt: skip


class ReturnopsTranslator(DagsterDbtTranslator):
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)
        if node["resource_type"] == "source":
            # the ingest assets own the raw tables: raw/<source>__<entity>
            return spec.replace_attributes(key=dg.AssetKey(["raw", node["identifier"]]))
        is_seed = node["resource_type"] == "seed"
        if is_seed:
            group = SEED_GROUP
        else:
            layer = node["fqn"][1] if len(node["fqn"]) > 2 else "marts"
            group = LAYER_GROUPS.get(layer, layer)
        materialized = node.get("config", {}).get("materialized", "seed")
        description = (node.get("description") or "").strip() or (
            f"dbt {node['resource_type']} `{node['name']}` ({materialized})."
        )
        freshness = None
        if group == "marts" and node["resource_type"] == "model":
            freshness = derived_freshness_policy(_upstream(manifest).get(unique_id, ()))
        return spec.replace_attributes(
            key=dg.AssetKey(node["name"]),
            group_name=group,
            owners=OWNERS,
            description=description,
            automation_condition=(
                SEED
                if is_seed
                else PARTITIONED_LATEST_DAY
                if EVENT_DATE_TAG in node.get("tags", [])
                else MODEL
            ),
            freshness_policy=freshness,
        ).merge_attributes(tags={"layer": group, "materialized": materialized})

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        # No automation condition of its own: a check without one rides along whenever
        # automation requests its asset (Dagster adds it to the asset's run), which is exactly
        # "a dbt test runs with its model". A condition per test made every automation tick
        # evaluate ~330 more entities (~3 of its ~5 s), and requested a relationships test
        # whenever its *other* parent was built, even before its own model existed.
        return spec._replace(automation_condition=None) if spec else None


@contextmanager
def buildable_tests_only() -> Iterator[None]:
    """dbt's indirect selection for the invocation started inside: `buildable`, unless set.

    Automation builds subsets (the seeds alone on a fresh warehouse, one source's staging).
    With dbt's default (`eager`) a subset also runs every test touching a selected node, such
    as a relationships test from a model not built yet to a seed being built: it fails on the
    missing table. `buildable` runs a test only when all its parents are selected or upstream
    of the selection; a test left out is simply not evaluated in that run (dbt asset checks
    are optional outputs) and runs with the next build that includes its parents."""
    previous = os.environ.get(INDIRECT_SELECTION_ENV)
    os.environ[INDIRECT_SELECTION_ENV] = previous or "buildable"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(INDIRECT_SELECTION_ENV, None)


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild incremental models from scratch (daily reconciliation)


# what macros/row_count.sql logs for every table and seed dbt builds
ROW_COUNT_LOG = re.compile(r"^returnops_row_count (?P<table>\S+) (?P<rows>\d+)$")


def logged_row_count(raw_event: Mapping[str, Any]) -> tuple[str, int] | None:
    """(table, rows) when this dbt log event is the row-count post-hook's, else None."""
    info = raw_event.get("info", {})
    if info.get("name") != "JinjaLogInfo":
        return None
    match = ROW_COUNT_LOG.match(str(info.get("msg", "")).strip())
    return (match["table"], int(match["rows"])) if match else None


def with_row_count(context: dg.AssetExecutionContext, event: Any, counts: Mapping[str, int]) -> Any:
    """A model's or seed's output carrying `dagster/row_count` as dbt counted it; other events
    as they are."""
    if isinstance(event, dg.Output):
        table = context.asset_key_for_output(event.output_name).path[-1]
        if table in counts:
            return event.with_metadata({**event.metadata, "dagster/row_count": counts[table]})
    return event


def invocation_target(context: dg.AssetExecutionContext) -> Path:
    """A fresh target folder for one dbt invocation (as dagster-dbt names them), under the
    project's `target/`."""
    name = f"{context.op_execution_context.op.name}-{context.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    return PROJECT_TARGET / name


def tidy_target(
    context: dg.AssetExecutionContext, target: Path, succeeded: bool, state_key: str | None
) -> None:
    """After a build: keep its parse state for the next build of this warehouse (unless
    `state_key` is None: vars were given); drop its target folder (compiled SQL, dbt's debug log:
    megabytes a build, and the live pipeline builds every few minutes) unless it failed, when
    it is what one reads to see why."""
    if state_key is not None:
        try:
            keep_partial_parse(target, PROJECT_TARGET, state_key)
        except OSError as exc:
            context.log.warning(f"partial parse state not kept: {exc}")
    if succeeded:
        shutil.rmtree(target, ignore_errors=True)
    else:
        context.log.info(f"dbt's target folder of the failed build is kept: {target}")


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    """`dbt build` of the context's selection; the run's event-date window (if partitioned) as
    vars; every model's output with our own row count."""
    # Unit tests check the SQL, not the data: dbt's advice is to leave them out of production
    # builds (tests/e2e/test_dbt_project.py runs them). They were a third of a small build.
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        # No manifest.json and run_results.json in the invocation's folder: nothing reads them
        # (dagster-dbt takes the events from dbt's log stream), and dbt wrote the 1.7 MB
        # manifest twice per build (~0.5-1 s). A failed build's folder keeps its compiled SQL
        # and dbt.log.
        "--no-write-json",
        *(["--full-refresh"] if config.full_refresh else []),
    ]
    window = run_dbt_vars(context)
    if window:
        context.log.info(f"event-date window: {window}")
    # Only an exact window (a backfill, a past day) changes what the models do: the latest
    # day's run builds as without partitions (macros/partitions.sql). Vars are part of dbt's
    # parse state, so that run passes none and reuses the state of the unpartitioned build.
    exact = bool(window.get("event_date_exact"))
    if exact:
        args += ["--vars", json.dumps(window)]
    target = invocation_target(context)
    state_key = None if exact else parse_state_key(os.environ["RETURNOPS_HOME"])
    if state_key is not None:
        seed_parse_state(target, PROJECT_TARGET, state_key)
    # Every event goes to Dagster as dbt reports it, so storing them overlaps the build. The
    # row counts come from dbt's own log (macros/row_count.sql): the warehouse is the dbt
    # process's while it runs. A failed build still reports what it built, then raises.
    with buildable_tests_only():
        invocation = dbt.cli(args, context=context, target_path=target)
    counts: dict[str, int] = {}
    succeeded = False
    try:
        for raw in invocation.stream_raw_events():
            if (logged := logged_row_count(raw.raw_event)) is not None:
                table, rows = logged
                counts[table] = rows  # a model counting twice: the later count holds
                continue
            for event in raw.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            ):
                yield with_row_count(context, event, counts)
        succeeded = True
    finally:
        tidy_target(context, target, succeeded, state_key)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=ReturnopsTranslator(),
    project=dbt_project,
    exclude=f"tag:{EVENT_DATE_TAG}",
    pool="duckdb",
)
def returnops_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    config: DbtBuildConfig,
):
    yield from dbt_build(context, dbt, config)


# The marts keyed by an event day whose days can be rebuilt alone (orchestration.partitions).
# A backfill of any range is one run: one dbt invocation with the range as its window.
@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=ReturnopsTranslator(),
    project=dbt_project,
    select=f"tag:{EVENT_DATE_TAG}",
    partitions_def=EVENT_DATE_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def returnops_dbt_event_date_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    config: DbtBuildConfig,
):
    yield from dbt_build(context, dbt, config)


class ReturnopsDbtCliResource(DbtCliResource):
    """`DbtCliResource` without the dbt Core adapter dagster-dbt builds in this process before
    every invocation, before dbt even starts (~1 s a build, ~2 s the first in a process: every
    live run is a new process). dagster-dbt uses that adapter only for `fetch_row_counts()` and
    `fetch_column_metadata()`, which this project does not call: dbt counts the rows itself
    (`macros/row_count.sql`). The invocation's `adapter` is then None, as with dbt Fusion.
    (A private method of dagster-dbt 0.29, pinned; tests/orchestration/test_dbt_row_counts.py
    checks it is still there and still skipped.)"""

    def _initialize_dbt_core_adapter(self, args: Any) -> None:  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        """dagster-dbt learns dbt's version by running `dbt --version`: a whole dbt start-up
        (~2.5 s) before every build in a new process, which every live run is. The dbt beside
        this interpreter is the dbt-core installed with it, so its package metadata answers."""
        if self.dbt_executable == dbt_executable() and Path(self.dbt_executable).is_absolute():
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version


@dg.definitions
def defs() -> dg.Definitions:
    # a module with a @dg.definitions function contributes only what that function returns
    return dg.Definitions(
        assets=[returnops_dbt_models, returnops_dbt_event_date_models],
        resources={
            "dbt": ReturnopsDbtCliResource(
                project_dir=dbt_project,
                dbt_executable=dbt_executable(),
                global_config_flags=["--no-use-colors"],
            )
        },
    )
