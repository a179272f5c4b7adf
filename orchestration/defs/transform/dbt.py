"""The dbt project as Dagster assets: sources map onto the raw ingest assets."""

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingest.paths import returnops_home

# dbt runs in a subprocess with its own working directory: pin RETURNOPS_HOME to the absolute
# path the Python side uses, so both always open the same warehouse file.
os.environ["RETURNOPS_HOME"] = str(returnops_home())

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    # Outside `dagster dev` (the CLI, tests, a fresh clone) there is no manifest yet: parse once.
    dbt_project.preparer.prepare(dbt_project)

LAYER_GROUPS = {"staging": "staging", "intermediate": "staging", "marts": "marts"}


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


class ReturnopsTranslator(DagsterDbtTranslator):
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)
        if node["resource_type"] == "source":
            # the ingest assets own the raw tables: raw/<source>__<entity>
            return spec.replace_attributes(key=dg.AssetKey(["raw", node["identifier"]]))
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else "marts"
        return spec.replace_attributes(
            key=dg.AssetKey(node["name"]),
            group_name=LAYER_GROUPS.get(layer, layer),
            owners=["team:analytics-engineering"],
        )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=ReturnopsTranslator(),
    project=dbt_project,
    pool="duckdb",
)
def returnops_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so an un-activated venv works too."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


@dg.definitions
def defs() -> dg.Definitions:
    # a module with a @dg.definitions function contributes only what that function returns
    return dg.Definitions(
        assets=[returnops_dbt_models],
        resources={
            "dbt": DbtCliResource(
                project_dir=dbt_project,
                dbt_executable=dbt_executable(),
                global_config_flags=["--no-use-colors"],
            )
        },
    )
