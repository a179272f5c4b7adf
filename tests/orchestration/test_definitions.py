import subprocess
import sys
from pathlib import Path

import dagster as dg

from ingest.sources import ENTITIES

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_definitions(monkeypatch, home: Path) -> dg.Definitions:
    monkeypatch.setenv("RETURNOPS_HOME", str(home))
    from orchestration.definitions import defs

    return defs()


def test_every_layer_is_an_asset_in_one_lineage(monkeypatch, tmp_path):
    graph = load_definitions(monkeypatch, tmp_path).resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.materializable_asset_keys}

    assert {f"raw/{entity.table}" for entity in ENTITIES} <= keys
    assert {"stg_shopify__return_lines", "int_return_events", "fct_return_lines"} <= keys
    assert "serving_snapshot" in keys
    # the dbt sources are the ingest assets, not look-alike external assets
    assert graph.get(dg.AssetKey("stg_wms__receipts")).parent_keys == {
        dg.AssetKey(["raw", "wms__receipts"])
    }
    from orchestration.defs.transform.dbt import mart_models

    # the snapshot waits for every mart (and only marts), whatever marts the project has
    served = graph.get(dg.AssetKey("serving_snapshot")).parent_keys
    assert {dg.AssetKey("fct_return_lines"), dg.AssetKey("rpt_cycle_time_by_channel")} <= served
    assert served == {dg.AssetKey(name) for name in mart_models()}


def test_return_lines_expectations_block_the_publish(monkeypatch, tmp_path):
    graph = load_definitions(monkeypatch, tmp_path).resolve_asset_graph()
    checks = {node.key.name: node for node in graph.asset_check_nodes}
    assert checks["fct_return_lines_expectations"].blocking
    assert checks["fct_return_lines_expectations"].key.asset_key == dg.AssetKey("fct_return_lines")


def test_writers_share_the_duckdb_pool(monkeypatch, tmp_path):
    graph = load_definitions(monkeypatch, tmp_path).resolve_asset_graph()
    for key in [dg.AssetKey(["raw", e.table]) for e in ENTITIES] + [
        dg.AssetKey("int_return_events")
    ]:
        assert graph.get(key).pools == {"duckdb"}, key


def test_pipeline_job_selects_the_whole_graph(monkeypatch, tmp_path):
    job = load_definitions(monkeypatch, tmp_path).resolve_job_def("returnops_pipeline")
    assert job.asset_layer.asset_graph.get(dg.AssetKey("serving_snapshot")) is not None


def test_dg_check_defs_passes(tmp_path):
    dg_cli = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg_cli), "check", "defs"],
        cwd=REPO_ROOT,
        env={"PATH": str(dg_cli.parent), "RETURNOPS_HOME": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_loading_the_definitions_does_not_import_great_expectations(tmp_path):
    # GX is imported when a check builds or runs its suite (orchestration/lazy_gx.py): a
    # process that only loads the definitions (webserver, daemon, a run without checks) or
    # lists the checks does not pay for it
    script = (
        "import sys\n"
        "from orchestration.definitions import defs\n"
        "graph = defs().resolve_asset_graph()\n"
        "checks = {node.key.name for node in graph.asset_check_nodes}\n"
        "assert 'fct_return_lines_expectations' in checks, checks\n"
        "assert 'shopify__returns_contract' in checks, checks\n"
        "print('great_expectations' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={"PATH": str(Path(sys.executable).parent), "RETURNOPS_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
