"""Acceptance: a failing blocking check stops the publish and posts one alert to a webhook (a
real HTTP server on loopback); a second identical failure posts nothing; once the check passes
again, the same failure is a new problem and alerts again."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.alerts.sensors import alert_on_run_failure, alert_recovery_sensor
from orchestration.defs.resources import Warehouse
from tests.orchestration.test_definitions import load_definitions
from tests.orchestration.webhook import webhook_receiver

CHECK = dg.AssetCheckKey(dg.AssetKey("fct_return_lines"), "fct_return_lines_expectations")

RETURN_LINES = """
create or replace table marts.fct_return_lines as
select * from (values
    ('line-1', timestamp '2026-01-05 10:00', 'web', 50.0, 1, 20.00, 30.0, 4.0, 25.00, 20.00,
     false, timestamp '2026-01-07 12:00', 'resolved', 0),
    ('line-2', timestamp '2026-01-05 11:00', 'web', 40.0, 1, {refund}, 20.0, 3.0, 25.00, 20.00,
     false, timestamp '2026-01-07 03:00', 'resolved', 0)
) t(return_line_id, initiated_at, channel, cycle_time_hours, quantity, refund_amount,
    hours_to_receive, hours_to_inspect, original_value, expected_refund, is_refund_over_policy,
    resolved_at, status, exception_count)
"""


def write_return_lines(home: Path, refund: str) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("create schema if not exists marts")
        con.execute(RETURN_LINES.format(refund=refund))


@pytest.fixture
def live(tmp_path, monkeypatch):
    """The real definitions on a home in tmp_path, a Dagster instance on disk, a webhook."""
    with webhook_receiver() as receiver, dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        monkeypatch.setenv("RETURNOPS_ALERT_WEBHOOK_URL", receiver.url)
        defs = load_definitions(monkeypatch, tmp_path)
        # the check and the publish behind it, as a run of the pipeline would have them
        gate = dg.define_asset_job(
            "publish_gate",
            selection=dg.AssetSelection.checks(CHECK)
            | dg.AssetSelection.assets("serving_snapshot"),
        )
        check_only = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(CHECK))
        defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[gate, check_only]))
        yield defs, instance, receiver, tmp_path


def run(defs: dg.Definitions, instance: dg.DagsterInstance, job: str):
    return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False)


def sensor_tick(sensor, result, instance: dg.DagsterInstance, home: Path) -> None:
    """One evaluation of a run-status sensor for this run, as the daemon makes it."""
    run_record = instance.get_run_by_id(result.run_id)
    ends = {dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_SUCCESS}
    (event,) = [e.get_dagster_event() for e in instance.all_logs(result.run_id, of_type=ends)]
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=run_record,
        resources={"warehouse": Warehouse(home=str(home))},
    )
    if event.event_type == dg.DagsterEventType.RUN_FAILURE:
        context = context.for_run_failure()
    sensor(context)


def test_failed_blocking_check_holds_publish_and_alerts_once(live):
    defs, instance, receiver, home = live
    write_return_lines(home, refund="-5.00")  # a negative refund: the check must fail

    first = run(defs, instance, "publish_gate")

    assert not first.success
    (evaluation,) = first.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    # the publish did not run: no snapshot for the dashboards
    assert first.get_asset_materialization_events() == []
    assert not (home / "serving" / "marts.duckdb").exists()

    sensor_tick(alert_on_run_failure, first, instance, home)

    (body,) = receiver.bodies
    assert body["alert"]["kind"] == "blocking_check"
    assert "fct_return_lines_expectations" in body["text"]
    assert "refund_amount" in body["text"]
    fields = {f["title"]: f["value"] for f in body["attachments"][0]["fields"]}
    assert fields["held"] == "serving_snapshot"
    assert fields["run_id"] == first.run_id

    # the same failure again: one problem, one alert
    second = run(defs, instance, "publish_gate")
    assert not second.success
    sensor_tick(alert_on_run_failure, second, instance, home)
    assert len(receiver.bodies) == 1

    # fixed, the check passes: the alert is resolved ...
    write_return_lines(home, refund="20.00")
    fixed = run(defs, instance, "check_only")
    assert fixed.success
    sensor_tick(alert_recovery_sensor, fixed, instance, home)

    # ... so the same failure coming back is a new problem
    write_return_lines(home, refund="-5.00")
    again = run(defs, instance, "publish_gate")
    sensor_tick(alert_on_run_failure, again, instance, home)
    assert len(receiver.bodies) == 2
    assert receiver.bodies[1]["alert"]["fingerprints"] == body["alert"]["fingerprints"]
