"""The alert building blocks without Dagster: fingerprints, the body, the de-duplicating log."""

import json
from datetime import datetime

import duckdb
import httpx
import pytest

from orchestration.alerts import (
    AlertLog,
    AlertSettings,
    CheckFailure,
    ReturnException,
    StepFailure,
    blocking_check_alert,
    exceptions_alert,
    fingerprint,
    normalise_error,
    read_alertable_exceptions,
    run_failure_alert,
    slack_body,
)
from tests.orchestration.webhook import webhook_receiver

CHECK = CheckFailure(
    "fct_return_lines",
    "fct_return_lines_expectations",
    failed_expectations="expect_column_values_to_be_between(refund_amount)",
)


def test_fingerprint_is_stable_and_ignores_what_differs_between_runs():
    error = "DagsterDbtCliRuntimeError"
    one = StepFailure(
        "returnops_dbt_models", error, "dbt failed in 3f2a9c1e-1b2c-4d5e-8f90-123456789abc, 41.2 s"
    )
    two = StepFailure(
        "returnops_dbt_models", error, "dbt failed in 0a1b2c3d-1b2c-4d5e-8f90-abcdefabcdef, 7 s"
    )
    other = StepFailure("serving_snapshot", "IOException", "could not set lock on file")

    first = run_failure_alert("returnops_pipeline", "run-1", [one])
    second = run_failure_alert("__ASSET_JOB", "run-2", [two])  # another job: the same problem
    third = run_failure_alert("returnops_pipeline", "run-3", [other])

    assert first.fingerprints == second.fingerprints
    assert first.fingerprints != third.fingerprints
    assert first.subjects == ("step:returnops_dbt_models",)
    assert fingerprint("x", 1) == fingerprint("x", "1") != fingerprint("y", 1)
    assert normalise_error("IO Error: /tmp/pytest-7/home/x.duckdb locked\nstack") == (
        "IO Error: <tmp> locked"
    )


def test_blocking_check_alert_names_the_check_what_it_found_and_what_it_held():
    alert = blocking_check_alert("returnops_pipeline", "run-1", [CHECK], ["serving_snapshot"])
    again = blocking_check_alert("asset run", "run-2", [CHECK], [])
    found_more = blocking_check_alert(
        "asset run", "run-3",
        [CheckFailure(CHECK.asset, CHECK.check, failed_expectations="other(quantity)")],
    )  # fmt: skip

    assert alert.kind == "blocking_check" and alert.severity == "critical"
    assert alert.fingerprints == again.fingerprints != found_more.fingerprints
    assert alert.subjects == ("check:fct_return_lines:fct_return_lines_expectations",)
    assert alert.fields["held"] == "serving_snapshot"
    assert "refund_amount" in alert.lines[0]


def test_the_body_is_slack_compatible_with_structured_fields():
    alert = blocking_check_alert("returnops_pipeline", "run-1", [CHECK], ["serving_snapshot"],
                                 dagster_url="http://127.0.0.1:3000/")  # fmt: skip

    body = json.loads(json.dumps(slack_body(alert)))  # plain JSON all the way down

    assert body["text"].startswith(":rotating_light: 1 blocking check(s) failed")
    assert "fct_return_lines_expectations" in body["text"]
    (attachment,) = body["attachments"]
    assert attachment["title_link"] == "http://127.0.0.1:3000/runs/run-1"
    assert {"title": "held", "value": "serving_snapshot", "short": True} in attachment["fields"]
    assert body["alert"]["kind"] == "blocking_check"
    assert body["alert"]["fingerprints"] == list(alert.fingerprints)


def exception(n: int, kind: str = "restocked_before_inspection", is_open: bool = True):
    return ReturnException(
        f"exc-{n}", kind, "high", "warehouse_operations", "DC-EAST", "web", f"line-{n}",
        datetime(2026, 1, 5, n), is_open, "left quality_control before inspection",
    )  # fmt: skip


def test_exceptions_alert_lists_newest_first_and_counts():
    alert = exceptions_alert([exception(1), exception(3, is_open=False), exception(2)])
    assert alert.title == "3 new high-severity return exception(s), 2 still open"
    assert [line.split(" at ")[0][-6:] for line in alert.lines] == ["line-3", "line-2", "line-1"]
    assert alert.fields["by_type"] == "restocked_before_inspection 3"
    body = slack_body(exceptions_alert([exception(n) for n in range(1, 14)]))
    assert body["text"].endswith("… and 3 more")


def test_read_alertable_exceptions_takes_high_severity_and_refunds_over_policy():
    con = duckdb.connect()
    assert read_alertable_exceptions(con) is None
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_return_exceptions as select * from (values "
        "('a', 'restocked_before_inspection', 'high', 'warehouse_operations', 'DC-EAST', 'web', "
        " 'l1', timestamp '2026-01-05 10:00', true, 'x'),"
        "('b', 'refund_over_policy', 'medium', 'finance', null, 'web', 'l2', "
        " timestamp '2026-01-05 11:00', true, 'y'),"
        "('c', 'stage_sla_breach', 'low', 'customer_service', null, 'web', 'l3', "
        " timestamp '2026-01-05 12:00', true, 'z')) t(exception_id, exception_type, severity, "
        "owner_role, node_id, channel, return_line_id, detected_at, is_open, detail)"
    )
    assert [e.exception_id for e in read_alertable_exceptions(con)] == ["a", "b"]


def test_the_log_posts_a_problem_once_and_again_after_it_was_resolved(tmp_path):
    log = AlertLog(tmp_path / "alerts.sqlite")
    alert = blocking_check_alert("job", "run-1", [CHECK])
    posted: list[dict] = []

    first = log.deliver(alert, posted.append)
    second = log.deliver(blocking_check_alert("job", "run-2", [CHECK]), posted.append)
    assert (first.status, second.status, len(posted)) == ("posted", "duplicate", 1)
    (entry,) = log.entries()
    assert entry["occurrences"] == 2 and entry["resolved_at"] is None

    assert log.resolve(["check:fct_return_lines:fct_return_lines_expectations"]) == 1
    third = log.deliver(blocking_check_alert("job", "run-3", [CHECK]), posted.append)
    assert third.status == "posted" and len(posted) == 2


def test_a_failed_post_records_nothing_so_the_next_occurrence_retries(tmp_path):
    log = AlertLog(tmp_path / "alerts.sqlite")
    alert = blocking_check_alert("job", "run-1", [CHECK])

    def down(body: dict) -> None:
        raise httpx.ConnectError("refused")

    with pytest.raises(httpx.ConnectError):
        log.deliver(alert, down)
    assert log.unseen(alert.fingerprints) == list(alert.fingerprints)
    assert log.deliver(alert, lambda body: None).posted


def test_only_new_items_of_a_multi_problem_alert_count(tmp_path):
    log = AlertLog(tmp_path / "alerts.sqlite")
    posted: list[dict] = []
    log.deliver(exceptions_alert([exception(1), exception(2)]), posted.append)
    unseen = log.unseen(e.fingerprint for e in [exception(1), exception(2), exception(3)])
    assert unseen == [exception(3).fingerprint]


def test_settings_post_over_http_retry_a_5xx_and_skip_without_a_url(tmp_path):
    alert = blocking_check_alert("job", "run-1", [CHECK])
    unset = AlertSettings.from_env(tmp_path, environ={})
    assert unset.send(alert).status == "not_configured"
    assert not (tmp_path / "alerts.sqlite").exists()

    with webhook_receiver() as receiver:
        receiver.fail_next = 1  # one 503, retried
        settings = AlertSettings.from_env(
            tmp_path, environ={"RETURNOPS_ALERT_WEBHOOK_URL": receiver.url}
        )
        assert settings.send(alert).posted
        assert settings.send(alert).status == "duplicate"
    assert len(receiver.bodies) == 1
    assert receiver.bodies[0]["alert"]["fingerprints"] == list(alert.fingerprints)


def test_returnops_alerts_posts_a_test_message_and_lists_the_log(tmp_path):
    from typer.testing import CliRunner

    from orchestration.cli import app

    with webhook_receiver() as receiver:
        env = {"RETURNOPS_HOME": str(tmp_path), "RETURNOPS_ALERT_WEBHOOK_URL": receiver.url}
        result = CliRunner().invoke(app, ["alerts", "--test"], env=env)

    assert result.exit_code == 0, result.output
    assert "test alert: posted" in result.output
    (body,) = receiver.bodies
    assert body["alert"]["kind"] == "test" and body["text"].startswith(":eyes: returnops test")
    assert "returnops test alert" in result.output  # the log lists it
