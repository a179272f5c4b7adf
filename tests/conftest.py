"""How the suite is spread over the CPUs (pytest-xdist, `--dist loadgroup`, see pyproject).

The expensive part of the suite is a few end-to-end pipeline runs behind shared fixtures. Every
test is tied to a group: the tests sharing one of those homes run in one worker, so the home is
built once; any other test stays with its module, whose module fixtures are built once too. The
end-to-end groups are queued first so that the long ones do not start last and leave one worker
idle at the end.
"""

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# session fixtures of tests/e2e/conftest.py that run the whole pipeline
SHARED_HOMES = ("acceptance_home", "pipeline_home", "micro_batch")


def group_of(item: pytest.Item) -> str:
    fixtures = getattr(item, "fixturenames", ())
    for home in SHARED_HOMES:
        if home in fixtures:
            return home
    return item.nodeid.split("::")[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
    # stable: within each half the collection order is kept
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any worker starts: a fresh clone has no manifest and
    every worker importing the Dagster definitions would otherwise parse it at the same time."""
    if hasattr(config, "workerinput"):
        return
    # the venv's `dbt` for whatever runs it by name, also when pytest is run without `uv run`
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    from dagster_dbt import DbtProject

    project_dir = REPO_ROOT / "dbt_project"
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
