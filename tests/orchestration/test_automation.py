"""The automation conditions, evaluated as the daemon's automation sensor would, without runs:
one landing batch is one run of everything downstream, a fresh warehouse is built in one run,
and a failed blocking check holds the publish."""

import dagster as dg
import pytest

from tests.orchestration.test_definitions import load_definitions

NOT_AUTOMATED = {dg.AssetKey("channel_writeback")}  # write-back has its own sensor and schedule


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
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    for node in graph.asset_check_nodes:
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(
                asset_key=node.key.asset_key, check_name=node.key.name, passed=True
            )
        )


def test_a_fresh_warehouse_is_built_in_the_first_tick(defs):
    graph = defs.resolve_asset_graph()
    with dg.instance_for_test() as instance:
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance)

    expected = {k.to_user_string() for k in graph.executable_asset_keys - NOT_AUTOMATED}
    assert requested(result) == expected
    # and every check with its asset, in the same tick
    assert result.total_requested == len(expected) + len(list(graph.asset_check_nodes))


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

    keys = requested(news)
    raw = dg.AssetKey(["raw", "shopify__returns"])
    downstream = dg.AssetSelection.assets(raw).downstream().resolve(graph)  # raw included
    assert keys == {k.to_user_string() for k in downstream - NOT_AUTOMATED}
    assert {"stg_shopify__return_lines", "fct_return_lines", "serving_snapshot"} <= keys
    assert not {k for k in keys if k.startswith("raw/")} - {"raw/shopify__returns"}


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
