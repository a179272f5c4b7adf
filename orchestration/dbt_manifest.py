"""The dbt manifest the Dagster definitions are built from: parsed only when missing or older
than the project, and always replaced in one step.

dagster-dbt's own preparer runs `dbt parse` on every code-location load under `dagster dev`,
into the project's `target/` in place. Under `dagster dev` that is every load of the webserver,
the daemon and each run's worker process (~4-7 s each), and a process loading the definitions
meanwhile can read a half-written `manifest.json`. Here `dbt parse` writes into a private folder
and the finished manifest is moved over the old one (`os.replace`), so a reader sees the old
manifest or the new one, never part of one.
"""

import os
import shutil
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

PARTIAL_PARSE = "partial_parse.msgpack"


def keep_partial_parse(target: Path, project_target: Path) -> bool:
    """Make this invocation's parse state the one the next invocation starts from.

    dagster-dbt gives every invocation a fresh target folder and seeds it with the project's
    `target/partial_parse.msgpack`. That one was written by whoever parsed last, usually with
    another RETURNOPS_HOME, which is part of the profile: dbt then reparses the whole project
    (~6 s of every build). Replaced atomically, so a concurrent invocation copies the old file
    or the new one; dbt checks the state against the project and the profile either way."""
    state = target / PARTIAL_PARSE
    if not state.exists():
        return False
    staged = project_target / f".{PARTIAL_PARSE}.{os.getpid()}.tmp"
    shutil.copyfile(state, staged)
    os.replace(staged, project_target / PARTIAL_PARSE)
    return True


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
            DbtCliResource(project_dir=project).cli(["parse", "--quiet"], target_path=work).wait()
            keep_partial_parse(work, target)
            os.replace(work / "manifest.json", project.manifest_path)


def ensure_current_manifest(project: DbtProject) -> None:
    """In place of `project.prepare_if_dev()`: parse now if the manifest is missing or stale."""
    AtomicManifestPreparer().prepare_if_dev(project)
