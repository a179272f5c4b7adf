import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RETURNOPS = str(Path(sys.executable).parent / "returnops")


def returnops_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DAGSTER_HOME"}}
    env["RETURNOPS_HOME"] = str(home)
    if "RETURNOPS_SHOPIFY_URL" not in env:
        # No channel listens at the write-back's default address here (the tests that push to
        # a sandbox point the write-back at theirs): one attempt finds the channel unreachable,
        # where the default five retry with backoff for ~8 s in every run.
        env.setdefault("RETURNOPS_WRITEBACK_MAX_ATTEMPTS", "1")
    return env


def returnops(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real CLI in its own process, as a user would."""
    result = subprocess.run(
        [RETURNOPS, *args],
        cwd=REPO_ROOT,
        env=returnops_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"returnops {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pipeline_home(tmp_path_factory) -> Path:
    """A small RETURNOPS_HOME after `returnops simulate` and `returnops run`, shared by e2e
    tests, above all those that run the pipeline again on it (a second run, the dashboards
    held open while it publishes): 30 days at scale 0.3."""
    home = tmp_path_factory.mktemp("returnops_home")
    returnops(home, "simulate", "--days", "30", "--scale", "0.3", "--seed", "3")
    returnops(home, "run")
    return home


@pytest.fixture(scope="session")
def acceptance_home(tmp_path_factory) -> Path:
    """The acceptance run of the marts: `returnops simulate --days 60 --seed 7` at scale 1,
    then `returnops run` (about 20 s + 2-4 min on two cores). Read-only for the tests that
    compare the marts with the truth; nothing runs the pipeline on it again."""
    home = tmp_path_factory.mktemp("acceptance_home")
    returnops(home, "simulate", "--days", "60", "--seed", "7")
    returnops(home, "run", timeout=1200)
    return home


@pytest.fixture(scope="session")
def micro_batch(tmp_path_factory):
    """N days of history, then one new day as a micro-batch, then a full refresh of a copy:
    what the incremental tests compare (tests/e2e/micro_batch.py)."""
    from tests.e2e.micro_batch import run_micro_batch

    return run_micro_batch(tmp_path_factory.mktemp("micro_batch"))
