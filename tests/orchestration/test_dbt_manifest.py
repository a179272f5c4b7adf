"""The manifest is parsed only when missing or stale, and a reader never sees half of one."""

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.dbt_manifest import (
    AtomicManifestPreparer,
    ensure_current_manifest,
    manifest_is_current,
    newest_input_mtime,
)

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


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
