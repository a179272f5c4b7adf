"""`exception_alerts`: new high-severity return exceptions, posted once to the alert webhook.

Runs after `fct_return_exceptions` is rebuilt and its blocking checks passed (automation:
eager, after blocking checks). Reads the alertable exceptions (severity `high`, and refunds over
policy) in one short read-only connection, keeps those never alerted, and posts them as one
message (`orchestration.alerts.exceptions_alert`); each exception id is remembered, so an
exception alerts once however many runs rebuild the mart.
"""

import dagster as dg

from ingest.warehouse import connect
from orchestration.alerts import (
    ALERT_EXCEPTION_TYPES,
    ALERT_SEVERITIES,
    WEBHOOK_URL_ENV,
    AlertSettings,
    Delivery,
    exceptions_alert,
    read_alertable_exceptions,
)
from orchestration.conditions import AFTER_BLOCKING_CHECKS
from orchestration.defs.resources import Warehouse

EXCEPTIONS_MART = "fct_return_exceptions"


@dg.asset(
    key="exception_alerts",
    group_name="quality",
    kinds={"duckdb", "slack"},
    owners=["team:data-engineering"],
    deps=[dg.AssetKey(EXCEPTIONS_MART)],
    pool="duckdb",
    automation_condition=AFTER_BLOCKING_CHECKS,
    description="Posts new high-severity return exceptions of `fct_return_exceptions` "
    f"(severity {', '.join(ALERT_SEVERITIES)}; types {', '.join(ALERT_EXCEPTION_TYPES)}) "
    f"to the webhook in `{WEBHOOK_URL_ENV}` as one Slack-compatible message; each exception "
    "alerts once (`RETURNOPS_HOME/alerts.sqlite`).",
)
def exception_alerts(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    paths = warehouse.paths
    settings = AlertSettings.from_env(paths.home)
    with connect(paths.warehouse, read_only=True) as con:
        alertable = read_alertable_exceptions(con)
    if alertable is None:
        context.log.warning(f"no marts.{EXCEPTIONS_MART} yet: nothing to alert")
        alertable = []
    unseen = set(settings.log.unseen(e.fingerprint for e in alertable))
    new = [e for e in alertable if e.fingerprint in unseen]
    delivery = settings.send(exceptions_alert(new)) if new else Delivery("nothing_new")
    if delivery.status == "not_configured":
        context.log.warning(
            f"{len(new)} new alertable exceptions, not posted: {WEBHOOK_URL_ENV} is not set"
        )
    else:
        context.log.info(f"{len(new)} new alertable exceptions: {delivery.status}")
    by_type: dict[str, int] = {}
    for e in alertable:
        by_type[e.exception_type] = by_type.get(e.exception_type, 0) + 1
    return dg.MaterializeResult(
        metadata={
            "alertable": len(alertable),
            "alertable_open": sum(e.is_open for e in alertable),
            "new": len(new),
            "delivery": delivery.status,
            "posted": delivery.new if delivery.posted else 0,
            "webhook": "configured" if settings.webhook_url else f"not set ({WEBHOOK_URL_ENV})",
            "alertable_by_type": dg.MetadataValue.json(by_type),
            "dagster/row_count": len(alertable),
        }
    )
