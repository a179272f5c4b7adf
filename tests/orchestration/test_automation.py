"""The automation conditions, evaluated as the daemon's automation sensor would, without runs:
one landing batch is one run of everything downstream, a fresh warehouse is built in one run,
and a failed blocking check holds the publish."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from orchestration.partitions import latest_partition_key
from tests.orchestration.test_definitions import load_definitions

NOT_AUTOMATED: set[dg.AssetKey] = set()  # every asset follows by automation


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return load_definitions(monkeypatch, tmp_path_factory.mktemp("home"))


def requested(result) -> set[str]:
    return {
        key.to_user_string()
        for key in result._requested_partitions_by_asset_key  # noqa: SLF001 (the tester's view)
    }


def materialize_everything(instance: dg.DagsterInstance, defs: dg.Definitions) -> None:
    """The state after a first full build: every asset materialized, every check passed."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        # an event-date partitioned mart: its latest day (what automation looks at)
        partition = latest_partition_key() if graph.get(key).partitions_def else None
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))
    for node in graph.asset_check_nodes:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=node.key.asset_key, check_name=node.key.name, passed=True
            )
        )


def report_done(instance: dg.DagsterInstance, defs: dg.Definitions, result) -> None:
    """What a successful run of the tick's requests leaves: each requested asset (partition)
    materialized, each of its checks passed."""
    graph = defs.resolve_asset_graph()
    for key, subset in result._requested_partitions_by_asset_key.items():  # noqa: SLF001
        for partition in subset:  # partition keys; None for an unpartitioned asset
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))
        for check in graph.get_check_keys_for_assets({key}):
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(asset_key=key, check_name=check.name, passed=True)
            )


def test_a_fresh_warehouse_is_built_in_three_ticks(defs):
    """The unpartitioned graph in the first tick (one run); the latest day of each event-date
    partitioned mart in the next (a partitioned asset runs apart from unpartitioned ones, so
    Dagster waits for its inputs' run instead of starting both at once); then the publish."""
    graph = defs.resolve_asset_graph()
    automated = graph.executable_asset_keys - NOT_AUTOMATED
    partitioned = {key for key in automated if graph.get(key).partitions_def is not None}
    assert {k.to_user_string() for k in partitioned} == {"fct_inspection_backlog"}
    waiting = dg.AssetSelection.assets(*partitioned).downstream().resolve(graph) - NOT_AUTOMATED
    assert {k.to_user_string() for k in waiting - partitioned} == {
        "serving_snapshot",
        "channel_writeback",
    }

    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert requested(first) == {k.to_user_string() for k in automated - waiting}
        # no test of the partitioned mart either (the mart does not exist yet): a relationships
        # test's other parent is in this run, but the test waits for its own mart's run
        checks_of = {s.key for s in first._requested_subsets if isinstance(s.key, dg.AssetCheckKey)}  # noqa: SLF001
        assert checks_of and not {c for c in checks_of if c.asset_key in partitioned}
        report_done(instance, defs, first)

        second = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=first.cursor
        )
        assert requested(second) == {k.to_user_string() for k in partitioned}
        (subset,) = second._requested_partitions_by_asset_key.values()  # noqa: SLF001
        assert subset == {latest_partition_key()}
        report_done(instance, defs, second)

        third = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=second.cursor
        )
        assert requested(third) == {"serving_snapshot", "channel_writeback"}
        report_done(instance, defs, third)

        quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=third.cursor)
        assert quiet.total_requested == 0


def test_one_landing_report_requests_its_table_and_everything_downstream(defs):
    graph = defs.resolve_asset_graph()
    with dg.instance_for_test() as instance:
        materialize_everything(instance, defs)
        quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert quiet.total_requested == 0

        # the landing sensor reports a new Shopify returns file
        instance.report_runless_asset_event(
            dg.AssetMaterialization(dg.AssetKey(["landing", "shopify__returns"]))
        )
        news = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
        report_done(instance, defs, news)
        # the run done, nothing more until the partitioned backlog's next cadence tick ...
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=news.cursor)
        # ... then its latest day in a run of its own, and the publish again after it
        later = datetime.now(UTC) + timedelta(minutes=11)
        refresh = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=after.cursor, evaluation_time=later
        )
        report_done(instance, defs, refresh)
        republish = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=refresh.cursor, evaluation_time=later
        )
        report_done(instance, defs, republish)
        idle = dg.evaluate_automation_conditions(
            defs=defs,
            instance=instance,
            cursor=republish.cursor,
            evaluation_time=later + timedelta(minutes=10),
        )

    keys = requested(news)
    raw = dg.AssetKey(["raw", "shopify__returns"])
    downstream = dg.AssetSelection.assets(raw).downstream().resolve(graph)  # raw included
    partitioned = {"fct_inspection_backlog"}
    assert keys == {k.to_user_string() for k in downstream - NOT_AUTOMATED} - partitioned
    assert {"stg_shopify__return_lines", "fct_return_lines", "serving_snapshot"} <= keys
    assert "channel_writeback" in keys  # the corrections reach the channels in the same run
    assert not {k for k in keys if k.startswith("raw/")} - {"raw/shopify__returns"}
    assert requested(after) == set()
    assert requested(refresh) == partitioned
    assert requested(republish) == {"serving_snapshot", "channel_writeback"}
    # another cadence tick with nothing new upstream since the refresh: no asset is built
    # again (the hourly freshness checks may be due, when the hour turned meanwhile)
    assert not {
        key
        for key in idle._requested_partitions_by_asset_key  # noqa: SLF001
        if isinstance(key, dg.AssetKey)
    }


def test_a_failed_blocking_check_holds_the_publish_until_it_passes(defs):
    with dg.instance_for_test() as instance:
        materialize_everything(instance, defs)
        quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("fct_return_lines"),
                check_name="fct_return_lines_expectations",
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                blocking=True,
            )
        )
        # another mart is updated (by hand, say): the snapshot would follow ...
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey("fct_refunds")))
        held = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
        assert "serving_snapshot" not in requested(held)

        # ... once the check passes again, it does
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey("fct_return_lines"),
                check_name="fct_return_lines_expectations",
                passed=True,
            )
        )
        released = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=held.cursor
        )
        assert "serving_snapshot" in requested(released)


def test_news_of_every_source_requests_what_the_live_refresh_job_runs(defs):
    # benchmarks/latency.py times the job as what automation runs for a landing batch
    from orchestration.defs.jobs import live_refresh

    graph = defs.resolve_asset_graph()
    with dg.instance_for_test() as instance:
        materialize_everything(instance, defs)
        quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        for key in graph.get_all_asset_keys():
            if key.path[0] == "landing":
                instance.report_runless_asset_event(dg.AssetMaterialization(key))
        news = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)

    job_assets = {key.to_user_string() for key in live_refresh.selection.resolve(graph)}
    assert requested(news) == job_assets
    # built when a seed changes, not per batch
    assert not {"channels", "sla_targets", "dim_nodes"} & job_assets
    assert {"raw/shopify__returns", "dim_dates", "serving_snapshot", "channel_writeback"} <= (
        job_assets
    )
