"""How the suite is spread over the CPUs (pytest-xdist, two workers, see pyproject).

The expensive part of the suite is a few end-to-end pipeline runs behind shared session
fixtures. The tests of one module run in one worker (their module fixtures are built once), and
the modules sharing one of those homes run in the same worker too, so the home is built once and
the tests that run the pipeline again on it never run at the same time. The longest scopes are
queued first, then the other end-to-end modules, so that no long one starts last and leaves the
other worker idle at the end.

xdist's own `--dist loadgroup` would do this from marks, but with pytest 9.2 it no longer sees
them (it renames `item._nodeid`, which pytest no longer reads): hence a scheduler of our own.
"""

import os
import sys
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

REPO_ROOT = Path(__file__).resolve().parents[1]
# session fixtures of tests/e2e/conftest.py that run the whole pipeline, and the modules using
# them (checked at collection: a module using one and missing here stops the session)
SHARED_HOMES = {
    "acceptance_home": (
        "tests/e2e/test_marts_lifecycle.py",
        "tests/e2e/test_marts_inventory.py",
        "tests/e2e/test_dashboard_truth.py",
    ),
    "pipeline_home": ("tests/e2e/test_pipeline.py", "tests/e2e/test_dashboard_browser.py"),
    "micro_batch": (
        "tests/e2e/test_incremental.py",
        "tests/e2e/test_inventory_incremental.py",
        "tests/e2e/test_dbt_project.py",
        "tests/e2e/test_backfill.py",
    ),
}
GROUP_OF_MODULE = {module: home for home, modules in SHARED_HOMES.items() for module in modules}
# the longest scopes, longest first (clean-clone --durations on 2 cores: 360, 300, 255, 250, 200
# and 160 s): queued first, so that no long one starts last while the other worker idles
LONGEST_FIRST = (
    "pipeline_home",
    "micro_batch",
    "tests/e2e/test_live_dagster.py",
    "tests/e2e/test_writeback_loop.py",
    "acceptance_home",
    "tests/e2e/test_demo.py",
)


def scope_of(nodeid: str) -> str:
    """One scope per module, except the modules of a shared home: one scope for them all."""
    module = nodeid.split("::", 1)[0]
    return GROUP_OF_MODULE.get(module, module)


def queue_rank(item: pytest.Item) -> int:
    scope = scope_of(item.nodeid)
    if scope in LONGEST_FIRST:
        return LONGEST_FIRST.index(scope)
    return len(LONGEST_FIRST) + (item.get_closest_marker("e2e") is None)


class SharedHomeScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadScopeScheduling:
    return SharedHomeScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        for home in SHARED_HOMES:
            if home in getattr(item, "fixturenames", ()) and GROUP_OF_MODULE.get(module) != home:
                raise pytest.UsageError(
                    f"{module} uses {home}: add it to SHARED_HOMES in tests/conftest.py"
                )
    # stable: the longest scopes first, then the other e2e tests, then the rest, each in
    # collection order (the scheduler queues the scopes in this order)
    items.sort(key=queue_rank)


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any worker starts: a fresh clone has no manifest and
    every worker importing the Dagster definitions would otherwise parse it at the same time."""
    if hasattr(config, "workerinput"):
        return
    # the venv's `dbt` for whatever runs it by name, also when pytest is run without `uv run`
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    from dagster_dbt import DbtProject

    from orchestration.dbt_manifest import ensure_current_manifest

    project_dir = REPO_ROOT / "dbt_project"
    ensure_current_manifest(DbtProject(project_dir=project_dir, profiles_dir=project_dir))
