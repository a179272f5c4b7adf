"""The dbt manifest the Dagster definitions are built from: parsed only when missing or older
than the project, and always replaced in one step.

dagster-dbt's own preparer runs `dbt parse` on every code-location load under `dagster dev`,
into the project's `target/` in place. Under `dagster dev` that is every load of the webserver,
the daemon and each run's worker process (~4-7 s each), and a process loading the definitions
meanwhile can read a half-written `manifest.json`. Here `dbt parse` writes into a private folder
and the finished manifest is moved over the old one (`os.replace`), so a reader sees the old
manifest or the new one, never part of one.
"""

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

PARTIAL_PARSE = "partial_parse.msgpack"
# target/parse_states/<key>.msgpack: the parse state dbt left for one profile (one warehouse)
PARSE_STATES = "parse_states"
# the most recently used states kept (each ~2 MB; every test home is a profile of its own)
KEPT_PARSE_STATES = 16


def parse_state_key(returnops_home: str) -> str:
    """The name of the parse state of the profile for this RETURNOPS_HOME.

    dbt's saved parse state holds a checksum of the rendered profile, and the warehouse path
    in it comes from RETURNOPS_HOME: a state written for another home makes dbt reparse the
    whole project (~4 s). So does one written with other `--vars`. One state per home, and
    none from an invocation with vars, lets every build of a home start from its own."""
    return hashlib.sha256(returnops_home.encode()).hexdigest()[:16]


def seed_parse_state(target: Path, project_target: Path, key: str) -> bool:
    """Put the kept parse state for `key` in an invocation's fresh target folder (dagster-dbt
    then leaves it there instead of copying the project's `target/partial_parse.msgpack`)."""
    kept = project_target / PARSE_STATES / f"{key}.msgpack"
    if not kept.exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, target / PARTIAL_PARSE)
    return True


def keep_partial_parse(target: Path, project_target: Path, key: str | None = None) -> bool:
    """Make this invocation's parse state the one the next invocation starts from: the
    project's `target/partial_parse.msgpack`, or with a `key` the state kept for that profile
    (`parse_state_key`; only the `KEPT_PARSE_STATES` most recently kept stay).

    Replaced atomically, so a concurrent invocation copies the old file or the new one; dbt
    checks the state against the project and the profile either way."""
    state = target / PARTIAL_PARSE
    if not state.exists():
        return False
    folder = project_target if key is None else project_target / PARSE_STATES
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / (PARTIAL_PARSE if key is None else f"{key}.msgpack")
    staged = folder / f".{destination.name}.{os.getpid()}.tmp"
    shutil.copyfile(state, staged)
    os.replace(staged, destination)
    if key is not None:
        _prune(folder, KEPT_PARSE_STATES)
    return True


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the `keep` most recently written states of `folder`."""
    states = sorted(folder.glob("*.msgpack"), key=_mtime, reverse=True)
    for stale in states[keep:]:
        stale.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned meanwhile by another process
        return 0.0


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so an un-activated venv works too."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


# what a parse reads: a change to any of them (a file added, edited or removed) makes it stale
PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def newest_input_mtime(project_dir: Path) -> float:
    """The latest modification time among the project's inputs, folders included (a removed
    file changes its folder's time)."""
    newest = 0.0
    for name in PROJECT_INPUTS:
        top = project_dir / name
        if not top.exists():
            continue
        newest = max(newest, top.stat().st_mtime)
        for folder, _dirs, files in os.walk(top):
            newest = max(newest, Path(folder).stat().st_mtime)
            for file in files:
                newest = max(newest, (Path(folder) / file).stat().st_mtime)
    return newest


def manifest_is_current(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return manifest.exists() and manifest.stat().st_mtime >= newest_input_mtime(project.project_dir)


class AtomicManifestPreparer(DagsterDbtProjectPreparer):
    """Parses when the manifest is missing or stale, `dagster dev` or not, into a private folder;
    then replaces the manifest (and dbt's parse state) atomically."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if not manifest_is_current(project):
            self.prepare(project)

    def _prepare_manifest(self, project: DbtProject) -> None:
        from dagster_dbt import DbtCliResource

        target = project.project_dir / project.target_path
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as scratch:
            # dagster-dbt seeds `scratch` with the project's parse state (unchanged files are
            # not parsed again); the new state and manifest then replace the project's
            work = Path(scratch)
            DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
                ["parse", "--quiet"], target_path=work
            ).wait()
            keep_partial_parse(work, target)
            os.replace(work / "manifest.json", project.manifest_path)


def ensure_current_manifest(project: DbtProject) -> None:
    """In place of `project.prepare_if_dev()`: parse now if the manifest is missing or stale."""
    AtomicManifestPreparer().prepare_if_dev(project)
