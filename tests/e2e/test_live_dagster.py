"""Acceptance (issue 7): the Dagster daemon and webserver for real, on loopback, with the
shipped instance config in a temporary DAGSTER_HOME. A small simulated history flows in by
itself (the landing sensor reports the files, automation runs ingest, dbt, checks, publish);
then a new landing file is dropped and the test watches, through the webserver's GraphQL API,
the sensor report it and ingest, dbt, the mart checks and the publish run for it, and finds its
events in the serving snapshot. Everything is stopped at the end and must exit on the interrupt.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from orchestration.pipeline import install_instance_config
from tests.e2e.conftest import REPO_ROOT, free_port, returnops, returnops_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

BIN = Path(sys.executable).parent
STOP_TIMEOUT_SECONDS = 60
# every wait below is bounded; on a busy two-core machine one cycle takes minutes
CYCLE_TIMEOUT_SECONDS = 600
# no new run for this long after the last one finished: the automation has nothing more to do
SETTLE_SECONDS = 20

NEW_RETURN_LINE = "gid://shopify/ReturnLineItem/990000001"

RUNS = """
query Runs($limit: Int!) {
  runsOrError(limit: $limit) {
    __typename
    ... on Runs {
      results {
        runId status jobName creationTime endTime
        tags { key value }
        assetMaterializations { assetKey { path } }
      }
    }
    ... on PythonError { message }
  }
}
"""

LATEST_MATERIALIZATION = """
query Latest($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId timestamp
        metadataEntries {
          label
          ... on TextMetadataEntry { text }
          ... on IntMetadataEntry { intValue }
        }
      }
    }
  }
}
"""

CHECK_EXECUTIONS = """
query Checks($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 5) {
    runId status timestamp
  }
}
"""


@dataclass
class Live:
    url: str
    home: Path
    dagster_home: Path
    logs: Path
    processes: dict[str, subprocess.Popen]

    def graphql(self, query: str, **variables) -> dict:
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def runs(self) -> list[dict]:
        data = self.graphql(RUNS, limit=200)["runsOrError"]
        assert data["__typename"] == "Runs", data
        return data["results"]

    def latest_materialization(self, *path: str) -> dict | None:
        data = self.graphql(LATEST_MATERIALIZATION, key={"path": list(path)})["assetOrError"]
        if data["__typename"] != "Asset" or not data["assetMaterializations"]:
            return None
        return data["assetMaterializations"][0]

    def settled(self) -> bool:
        """Every run finished, the last one a while ago (automation has nothing more to do)."""
        runs = self.runs()
        done = all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs)
        last = max((r["endTime"] or r["creationTime"] for r in runs), default=0.0)
        quiet = time.time() - last > SETTLE_SECONDS
        return done and quiet

    def output(self) -> str:
        return "\n".join(
            f"--- {name}.log (tail)\n{(self.logs / f'{name}.log').read_text()[-4000:]}"
            for name in self.processes
        )

    def failures(self, run_ids: list[str]) -> str:
        """Why these runs failed: their step failures, from the instance's event log."""
        lines = []
        with dg.DagsterInstance.from_config(str(self.dagster_home)) as instance:
            for run_id in run_ids:
                for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
                    error = record.dagster_event.step_failure_data.error
                    lines.append(f"{run_id} {record.step_key}: {error.message if error else ''}")
        return "\n".join(lines)

    def wait_for(self, what: str, predicate: Callable[[], object], timeout: float) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited early\n{self.output()}"
            found = predicate()
            if found:
                return found
            time.sleep(3)
        failed = [(r["runId"], r["status"]) for r in self.runs() if r["status"] == "FAILURE"]
        raise AssertionError(f"no {what} within {timeout} s; failed runs {failed}\n{self.output()}")

    def stop(self) -> dict[str, int]:
        """Interrupt each process group (what Ctrl-C does); return each process's exit code.
        A group that does not exit in time is killed and reported."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        codes, lingering = {}, []
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                lingering.append(name)
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = process.wait()
        assert not lingering, f"{lingering} did not stop on SIGINT\n{self.output()}"
        return codes


def group_members(pgid: int) -> list[str]:
    """Command lines of the processes left in a group (Linux /proc; empty elsewhere)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                members.append((stat.parent / "cmdline").read_text().replace("\0", " ")[:120])
        except (OSError, IndexError, ValueError):
            continue
    return members


def group_gone(pgid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Wait until no process of the group is left; kill what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    os.killpg(pgid, signal.SIGKILL)
    return False


def start(name: str, args: list[str], env: dict, logs: Path) -> subprocess.Popen:
    with (logs / f"{name}.log").open("w") as log:
        # its own process group: the daemon's code server and run workers stop with it
        return subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


@pytest.fixture
def live(tmp_path) -> Live:
    home = tmp_path / "home"
    returnops(home, "simulate", "--days", "3", "--scale", "0.1", "--seed", "11", "--no-progress")
    dagster_home = tmp_path / "dagster_home"
    install_instance_config(dagster_home)  # the shipped config: duckdb pool of one slot
    # create the instance's storage before two processes race to create it at once
    with dg.DagsterInstance.from_config(str(dagster_home)):
        pass
    logs = tmp_path / "logs"
    logs.mkdir()
    env = returnops_env(home) | {
        # dbt, dagster and the run workers from this environment, activated or not
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DAGSTER_HOME": str(dagster_home),
        "RETURNOPS_SENSOR_INTERVAL_SECONDS": "5",  # the daemon's loop turns every 5 s
        "DAGSTER_TELEMETRY_ENABLED": "false",
    }
    env.pop("RETURNOPS_ALERT_WEBHOOK_URL", None)
    port = free_port()
    module = ["-m", "orchestration.definitions"]
    live = Live(
        url=f"http://127.0.0.1:{port}",
        home=home,
        dagster_home=dagster_home,
        logs=logs,
        processes={
            "daemon": start("daemon", [str(BIN / "dagster-daemon"), "run", *module], env, logs),
            "webserver": start(
                "webserver",
                [str(BIN / "dagster-webserver"), *module, "-h", "127.0.0.1", "-p", str(port)],
                env,
                logs,
            ),
        },
    )
    try:
        live.wait_for("webserver", lambda: _answers(f"{live.url}/server_info"), timeout=180)
        yield live
    finally:
        for process in live.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def a_web_order(home: Path) -> tuple[dict, dict]:
    """An order of the simulated history and one of its lines, to return."""
    for path in sorted((home / "landing" / "shopify").glob("orders_*.ndjson")):
        for line in path.read_text().splitlines():
            order = json.loads(line)
            if order.get("source_name") == "web" and order.get("line_items"):
                return order, order["line_items"][0]
    raise AssertionError("the simulation has no web order")


def new_return(home: Path) -> str:
    order, item = a_web_order(home)
    payload = {
        "id": "gid://shopify/Return/990000001",
        "name": f"{order['name']}-R9",
        "status": "REQUESTED",
        "createdAt": "2026-01-07T20:00:00Z",
        "updatedAt": "2026-01-07T20:00:00Z",
        "closedAt": None,
        "order": {"id": order["admin_graphql_api_id"]},
        "returnLineItems": [
            {
                "id": NEW_RETURN_LINE,
                "quantity": 1,
                "returnReason": "SIZE_TOO_SMALL",
                "customerNote": None,
                "fulfillmentLineItem": {
                    "lineItem": {"id": f"gid://shopify/LineItem/{item['id']}", "sku": item["sku"]}
                },
            }
        ],
        "reverseDeliveries": [],
        "exchangeLineItems": [],
        "decline": None,
    }
    return json.dumps(payload) + "\n"


def served_return_line(home: Path) -> tuple | None:
    serving = home / "serving" / "marts.duckdb"
    if not serving.exists():
        return None
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(
            "select return_line_id, channel, initiated_at from fct_return_lines "
            "where return_line_id = ?",
            [NEW_RETURN_LINE],
        ).fetchone()


def materialized_keys(runs: list[dict]) -> set[str]:
    return {"/".join(m["assetKey"]["path"]) for r in runs for m in r["assetMaterializations"]}


def tag(run: dict, key: str) -> str | None:
    return next((t["value"] for t in run["tags"] if t["key"] == key), None)


def test_a_new_landing_file_flows_to_the_serving_snapshot_by_itself(live):
    started = time.monotonic()
    # the history: nobody launches anything, the sensors and automation do
    first = live.wait_for(
        "first serving snapshot",
        lambda: live.latest_materialization("serving_snapshot"),
        timeout=CYCLE_TIMEOUT_SECONDS,
    )
    history_seconds = time.monotonic() - started
    assert served_return_line(live.home) is None
    # let the history's runs settle, so what runs next is the new file's doing
    live.wait_for("history runs to settle", live.settled, timeout=CYCLE_TIMEOUT_SECONDS)

    dropped_at = time.time()
    landing = live.home / "landing" / "shopify" / "returns_2026-01-07.live.ndjson"
    landing.write_text(new_return(live.home))
    served = live.wait_for(
        "the new return line in the serving snapshot",
        lambda: served_return_line(live.home),
        timeout=CYCLE_TIMEOUT_SECONDS,
    )
    new_file_seconds = time.time() - dropped_at
    assert served[0] == NEW_RETURN_LINE and served[1] == "web"

    # what ran for the new file, as Dagster's GraphQL API tells it
    live.wait_for("runs to settle", live.settled, timeout=CYCLE_TIMEOUT_SECONDS)
    runs = live.runs()
    failed = [r["runId"] for r in runs if r["status"] != "SUCCESS"]
    assert failed == [], f"{failed}\n{live.failures(failed)}"
    after = [r for r in runs if r["creationTime"] >= dropped_at]
    # the sensor reported the file; no one launched a run by hand or by sensor: automation did
    reported = live.latest_materialization("landing", "shopify__returns")
    assert reported["runId"] == "" and float(reported["timestamp"]) / 1000 >= dropped_at
    entries = {e["label"]: e.get("intValue") for e in reported["metadataEntries"]}
    assert entries["new_files"] == 1
    assert after and all(tag(r, "dagster/sensor_name") == "returnops_automation" for r in after)
    downstream = materialized_keys(after)
    assert {
        "raw/shopify__returns",
        "stg_shopify__return_lines",
        "int_return_events",
        "fct_return_lines",
        "serving_snapshot",
    } <= downstream
    # only the entity with news was loaded again
    assert not {key for key in downstream if key.startswith("raw/")} - {"raw/shopify__returns"}
    automated = after

    # the blocking GX check on the mart ran for it and passed before the publish
    executions = live.graphql(
        CHECK_EXECUTIONS, key={"path": ["fct_return_lines"]}, name="fct_return_lines_expectations"
    )["assetCheckExecutions"]
    automated_ids = {r["runId"] for r in automated}
    assert any(e["runId"] in automated_ids and e["status"] == "SUCCEEDED" for e in executions)
    publish = live.latest_materialization("serving_snapshot")
    assert publish["runId"] in automated_ids and publish["runId"] != first["runId"]
    published = next(e["text"] for e in publish["metadataEntries"] if e["label"] == "published_at")
    with duckdb.connect(str(live.home / "serving" / "marts.duckdb"), read_only=True) as con:
        (published_at,) = con.execute("select published_at from _snapshot").fetchone()
    # the snapshot served is that publish's (a write-back pass after it renews the snapshot's
    # version with the outbox tables, never its publish time)
    assert f"{published_at:%Y-%m-%d %H:%M:%S} UTC" == published

    # everything stops on the interrupt, its children with it
    codes = live.stop()
    assert set(codes) == {"daemon", "webserver"}
    # their children (code servers, run workers, log tailers) follow within the stop timeout
    left = {n: group_members(p.pid) for n, p in live.processes.items()}
    lingering = [n for n, p in live.processes.items() if not group_gone(p.pid)]
    assert not lingering, f"{lingering} left processes behind: {left}"
    for url in (live.url,):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
    print(
        f"\nlive cycle: history {history_seconds:.0f} s, new file to serving "
        f"{new_file_seconds:.0f} s, {len(after)} runs for it"
    )
