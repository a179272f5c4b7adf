"""The manifest is parsed only when missing or stale, and a reader never sees half of one;
dbt's parse state is kept per warehouse, so a build does not reparse the project."""

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.dbt_manifest import (
    KEPT_PARSE_STATES,
    PARSE_STATES,
    PARTIAL_PARSE,
    AtomicManifestPreparer,
    ensure_current_manifest,
    keep_partial_parse,
    manifest_is_current,
    newest_input_mtime,
    parse_state_key,
    seed_parse_state,
)

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")


@pytest.fixture
def project(tmp_path: Path) -> DbtProject:
    """A copy of the dbt project without its target folder (as in a fresh clone)."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return DbtProject(project_dir=copy, profiles_dir=copy)


def test_any_change_to_the_project_makes_it_newer(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1")
    os.utime(model, (1_000, 1_000))
    os.utime(tmp_path / "models", (1_000, 1_000))
    assert newest_input_mtime(tmp_path) == 1_000

    os.utime(model, (2_000, 2_000))
    assert newest_input_mtime(tmp_path) == 2_000

    model.unlink()  # a removed model: only its folder's time tells
    assert newest_input_mtime(tmp_path) > 2_000


def test_parses_when_missing_or_stale_and_not_otherwise(project: DbtProject) -> None:
    assert not project.manifest_path.exists()
    ensure_current_manifest(project)
    manifest = json.loads(project.manifest_path.read_text())
    assert any(n["name"] == "fct_inventory_positions" for n in manifest["nodes"].values())
    assert manifest_is_current(project)
    # no scratch folder is left behind
    assert not list((project.project_dir / "target").glob(".parse-*"))

    parsed_at = project.manifest_path.stat().st_mtime_ns
    ensure_current_manifest(project)
    assert project.manifest_path.stat().st_mtime_ns == parsed_at

    added = project.project_dir / "models" / "marts" / "mart_added_by_test.sql"
    added.write_text("select 1 as one\n")
    assert not manifest_is_current(project)
    ensure_current_manifest(project)
    manifest = json.loads(project.manifest_path.read_text())
    assert any(n["name"] == "mart_added_by_test" for n in manifest["nodes"].values())


def test_a_reader_never_sees_a_partial_manifest(project: DbtProject) -> None:
    ensure_current_manifest(project)
    done = threading.Event()
    reads: list[int] = []
    errors: list[Exception] = []

    def read_until_done() -> None:
        while not done.is_set():
            try:
                reads.append(len(json.loads(project.manifest_path.read_text())["nodes"]))
            except Exception as exc:  # a half-written file would show here
                errors.append(exc)

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        AtomicManifestPreparer().prepare(project)  # reparses although current
    finally:
        done.set()
        reader.join()
    assert not errors, errors[:3]
    assert len(reads) > 10 and len(set(reads)) == 1


def test_parse_states_are_kept_per_warehouse_and_the_oldest_pruned(tmp_path: Path) -> None:
    project_target = tmp_path / "target"
    homes = [f"/data/home-{i}" for i in range(KEPT_PARSE_STATES + 2)]
    for i, home in enumerate(homes):
        build = tmp_path / f"build-{i}"
        build.mkdir()
        (build / PARTIAL_PARSE).write_text(f"state of {home}")
        assert keep_partial_parse(build, project_target, parse_state_key(home))
        kept = project_target / PARSE_STATES / f"{parse_state_key(home)}.msgpack"
        os.utime(kept, (1_000 + i, 1_000 + i))  # written in this order
    states = list((project_target / PARSE_STATES).iterdir())
    assert len(states) == KEPT_PARSE_STATES  # the two oldest were pruned, no temp file left
    assert not (project_target / PARTIAL_PARSE).exists()  # the project's own state untouched

    fresh = tmp_path / "fresh"
    assert not seed_parse_state(fresh, project_target, parse_state_key(homes[0]))  # pruned
    assert seed_parse_state(fresh, project_target, parse_state_key(homes[-1]))
    assert (fresh / PARTIAL_PARSE).read_text() == f"state of {homes[-1]}"
    assert parse_state_key(homes[0]) != parse_state_key(homes[1])


def test_a_build_seeded_with_its_warehouse_state_does_not_reparse(tmp_path: Path) -> None:
    """The reason for one state per warehouse: the profile (RETURNOPS_HOME) is part of dbt's
    parse state, so a state kept for this home is reused, and only then."""
    env = os.environ | {"RETURNOPS_HOME": str(tmp_path / "home")}
    project_target = tmp_path / "target"
    key = parse_state_key(env["RETURNOPS_HOME"])

    def dbt_ls(target: Path) -> str:
        subprocess.run(
            [DBT, "ls", "--quiet", "--resource-type", "seed", "--target-path", str(target),
             "--log-path", str(target), "--log-level-file", "debug"],
            cwd=PROJECT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return (target / "dbt.log").read_text()

    first = dbt_ls(tmp_path / "first")  # no state: a full parse
    assert "Unable to do partial parsing" in first
    assert keep_partial_parse(tmp_path / "first", project_target, key)

    second = tmp_path / "second"
    assert seed_parse_state(second, project_target, key)
    assert "Unable to do partial parsing" not in dbt_ls(second)
