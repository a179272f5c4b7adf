"""The dbt project on a built warehouse: its unit tests pass, `dbt docs generate` works, and
the docs explain every mart column.

The pipeline's `dbt build` leaves unit tests out (they test the SQL, not the data: dbt's advice
for production runs), so they run here, once per test session.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, returnops_env
from tests.e2e.micro_batch import DBT

pytestmark = pytest.mark.e2e


def dbt(home: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--profiles-dir", ".", "--target-path", str(work / "target"),
         "--log-path", str(work / "logs")],
        cwd=REPO_ROOT / "dbt_project", env=returnops_env(home), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


def test_every_unit_test_passes(micro_batch, tmp_path):
    result = dbt(micro_batch.fresh, tmp_path, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-5000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    defined = set(manifest["unit_tests"])
    assert len(defined) >= 20
    assert {r["unique_id"] for r in results} == defined
    assert {r["status"] for r in results} == {"pass"}


def test_docs_generate_catalogues_every_model_and_documents_every_mart_column(
    micro_batch, tmp_path
):
    result = dbt(micro_batch.fresh, tmp_path, "docs", "generate")
    assert result.returncode == 0, result.stdout[-5000:]
    target = tmp_path / "target"
    assert (target / "index.html").exists()

    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    # every model was found in the warehouse, with its columns
    missing = sorted(set(models) - set(catalog["nodes"]))
    assert missing == [], missing

    undocumented = []
    for unique_id, node in models.items():
        if node["fqn"][1] != "marts":
            continue
        assert node["description"].strip(), unique_id
        for column in catalog["nodes"][unique_id]["columns"]:
            documented = node["columns"].get(column.lower(), {}).get("description", "")
            if column != "_written_at" and not documented.strip():
                undocumented.append(f"{node['name']}.{column}")
    assert undocumented == []
