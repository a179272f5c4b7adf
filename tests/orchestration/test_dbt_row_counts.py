"""The row counts dbt logs (macros/row_count.sql) are read off its event stream, so the dbt
resource builds no dbt Core adapter in process (dagster-dbt's only use of it is fetching row
counts and column metadata), and learns dbt's version without starting dbt."""

from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import dbt_executable
from orchestration.defs.transform.dbt import (
    ReturnopsDbtCliResource,
    dbt_project,
    logged_row_count,
)


def jinja_log(msg: str, name: str = "JinjaLogInfo") -> dict:
    return {"info": {"name": name, "msg": msg, "level": "info"}, "data": {}}


def test_the_post_hooks_log_line_gives_table_and_rows() -> None:
    assert logged_row_count(jinja_log("returnops_row_count fct_return_lines 13452")) == (
        "fct_return_lines",
        13452,
    )


def test_anything_else_is_not_a_row_count() -> None:
    assert logged_row_count(jinja_log("returnops_row_count fct_return_lines many")) is None
    assert logged_row_count(jinja_log("some other log line")) is None
    # the same text in another kind of dbt event (say, a model's SQL echoed) does not count
    assert logged_row_count(jinja_log("returnops_row_count t 1", name="SQLQuery")) is None
    assert logged_row_count({"info": {}, "data": {}}) is None


def test_the_dbt_resource_runs_dbt_without_building_an_adapter_in_process(
    tmp_path: Path, monkeypatch
) -> None:
    # the hook overridden is dagster-dbt's own: if it is renamed, the override does nothing
    assert callable(getattr(DbtCliResource, "_initialize_dbt_core_adapter", None))
    monkeypatch.setenv("RETURNOPS_HOME", str(tmp_path))
    dbt = ReturnopsDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
    invocation = dbt.cli(["ls", "--resource-type", "seed", "--quiet"], target_path=tmp_path / "t")
    assert invocation.adapter is None
    assert invocation.wait().is_successful()


def test_the_dbt_version_comes_from_the_installed_package_not_a_dbt_start(
    tmp_path: Path, monkeypatch
) -> None:
    dbt = ReturnopsDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
    # what dagster-dbt would have found by running `dbt --version` (its own property, uncached)
    reported = DbtCliResource._cli_version.func(dbt)

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt started to learn its version: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    assert dbt._cli_version == reported
    # and a dbt found elsewhere (not this environment's) is still asked
    other = ReturnopsDbtCliResource(project_dir=dbt_project, dbt_executable="dbt")
    with pytest.raises(AssertionError, match="--version"):
        _ = other._cli_version
