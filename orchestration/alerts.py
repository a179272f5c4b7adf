"""Alerts: a problem is posted once, as a Slack-compatible JSON body, to a webhook.

Three kinds of problem are alerted (issue 7):

- `run_failure`: a Dagster run failed (a step raised); from the run-failure sensor, and from
  `returnops run` for the in-process runs the daemon does not watch;
- `blocking_check`: a blocking check failed with ERROR severity, so nothing downstream of it ran
  (the serving publish, the write-back); such a check fails its run, so the same sensor sees it
  and says *which checks* instead of "step failed";
- `return_exceptions`: new high-severity exceptions in `marts.fct_return_exceptions` (restocked
  before inspection, refund before receipt, refund over policy); from the `exception_alerts`
  asset, which runs after the marts pass their blocking checks.

**The body** is what a Slack incoming webhook takes, `text` for every chat client and Slack's
`attachments[].fields` for the structured part, plus `alert`, the same facts as plain JSON
for a machine (kind, severity, fingerprints, fields):

    {"text": ":rotating_light: Blocking checks failed: publish held ...",
     "attachments": [{"color": "#d00000", "title": ..., "text": ..., "fields": [...]}],
     "alert": {"kind": "blocking_check", "severity": "critical", ...}}

**De-duplication.** Every problem has a fingerprint: a hash of what identifies it (the check
and what it found, the failing step and its normalised error, the exception id), never of
when or in which run. The alert log remembers the fingerprints it posted; a fingerprint already
in the log is not posted again, however many runs repeat the problem. A problem that goes away
is *resolved* (its check passes again, its step succeeds again): if it comes back, that is a
new problem and alerts again.

**Why a SQLite file (`RETURNOPS_HOME/alerts.sqlite`) and not `ops.alerts` in the warehouse.**
The run-failure sensor runs in the Dagster daemon, outside any run and outside the `duckdb`
pool: opening the DuckDB warehouse there would block (or be blocked by) the run writing it, and
the problem being alerted may be exactly that the warehouse cannot be opened. SQLite is in the
standard library, transactional and safe for several processes at once (the daemon's sensors,
run workers, `returnops run`): a post and the record of it happen in one write transaction, so
two processes never post the same problem twice.

**Settings** come from the environment: `RETURNOPS_ALERT_WEBHOOK_URL` (unset: alerts are only
logged, nothing is posted or recorded, so configuring a URL later posts the open problems once),
`RETURNOPS_DAGSTER_URL` (optional: the Dagster UI, for run links in the alert).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

WEBHOOK_URL_ENV = "RETURNOPS_ALERT_WEBHOOK_URL"
DAGSTER_URL_ENV = "RETURNOPS_DAGSTER_URL"
ALERT_LOG_NAME = "alerts.sqlite"
WEBHOOK_TIMEOUT_SECONDS = 10.0

# fct_return_exceptions rows worth waking someone for: every `high` severity (restocked before
# inspection, refund before receipt) and refunds over policy (money out of the door).
ALERT_SEVERITIES = ("high",)
ALERT_EXCEPTION_TYPES = ("refund_over_policy",)
EXCEPTIONS_TABLE = "marts.fct_return_exceptions"
# lines of detail an alert lists before "... and N more"
MAX_LINES = 10

SEVERITY_COLOURS = {"critical": "#d00000", "high": "#e85d04", "warning": "#ffba08"}
SEVERITY_EMOJI = {"critical": ":rotating_light:", "high": ":warning:", "warning": ":eyes:"}


# ----------------------------------------------------------------------------------- the alert
@dataclass(frozen=True)
class Alert:
    """One message about one or more problems, each with its fingerprint."""

    kind: str  # run_failure | blocking_check | return_exceptions
    severity: str  # critical | high | warning
    title: str
    lines: tuple[str, ...] = ()  # detail, one problem a line
    fields: Mapping[str, str] = field(default_factory=dict)  # structured facts
    fingerprints: tuple[str, ...] = ()
    # what each fingerprint is about (a check, a step): resolved when it succeeds again
    subjects: tuple[str | None, ...] = ()
    link: str | None = None

    def __post_init__(self) -> None:
        if not self.fingerprints:
            raise ValueError("an alert needs at least one fingerprint")
        if self.subjects and len(self.subjects) != len(self.fingerprints):
            raise ValueError("one subject per fingerprint")


def fingerprint(kind: str, *parts: object) -> str:
    """A stable id of a problem: the kind and what identifies it, never a time or a run id."""
    text = json.dumps([kind, *[str(p) for p in parts]], ensure_ascii=False)
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b[0-9a-f]{8,}\b", re.I)
_TMP = re.compile(r"(/tmp|/var/folders)/\S+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def normalise_error(message: str) -> str:
    """The first line of an error with what differs between two runs of the same problem (run
    ids, hashes, temporary paths, numbers) blanked, for a fingerprint."""
    line = next((part.strip() for part in message.strip().splitlines() if part.strip()), "")
    for pattern, blank in ((_UUID, "<id>"), (_HEX, "<hex>"), (_TMP, "<tmp>"), (_NUMBER, "#")):
        line = pattern.sub(blank, line)
    return line[:300]


def slack_body(alert: Alert) -> dict:
    """The webhook body: Slack's `text` + `attachments[].fields`, and `alert` as plain JSON."""
    emoji = SEVERITY_EMOJI.get(alert.severity, ":bell:")
    shown = list(alert.lines[:MAX_LINES])
    if len(alert.lines) > MAX_LINES:
        shown.append(f"… and {len(alert.lines) - MAX_LINES} more")
    summary = f"{emoji} {alert.title}"
    text = summary + ("\n" + "\n".join(f"• {line}" for line in shown) if shown else "")
    attachment: dict[str, object] = {
        "color": SEVERITY_COLOURS.get(alert.severity, "#808080"),
        "title": alert.title,
        "text": "\n".join(shown),
        "fields": [
            {"title": name, "value": str(value), "short": len(str(value)) <= 40}
            for name, value in alert.fields.items()
        ],
        "footer": "returnops",
    }
    if alert.link:
        attachment["title_link"] = alert.link
    return {
        "text": text,
        "attachments": [attachment],
        "alert": {
            "kind": alert.kind,
            "severity": alert.severity,
            "title": alert.title,
            "lines": list(alert.lines),
            "fields": dict(alert.fields),
            "fingerprints": list(alert.fingerprints),
            "link": alert.link,
        },
    }


# ------------------------------------------------------------------------------- the builders
@dataclass(frozen=True)
class StepFailure:
    step_key: str
    error_class: str
    message: str


@dataclass(frozen=True)
class CheckFailure:
    asset: str  # user string of the asset key
    check: str
    description: str = ""
    failed_expectations: str = ""  # what the check found, as it reports it

    @property
    def subject(self) -> str:
        return f"check:{self.asset}:{self.check}"


def run_link(run_id: str, dagster_url: str | None) -> str | None:
    return f"{dagster_url.rstrip('/')}/runs/{run_id}" if dagster_url else None


def run_failure_alert(
    job: str, run_id: str, steps: Sequence[StepFailure], dagster_url: str | None = None
) -> Alert:
    """A failed run: one problem per failed step (its key and normalised error); a run that
    failed outside any step (the worker died, it was cancelled) is one problem of its job."""
    if steps:
        fingerprints = tuple(
            # the problem is the step and its error, whichever job's run met it
            fingerprint("run_failure", s.step_key, s.error_class, normalise_error(s.message))
            for s in steps
        )
        subjects = tuple(f"step:{s.step_key}" for s in steps)
        lines = tuple(
            f"{s.step_key}: {s.error_class}: {normalise_error(s.message) or 'no message'}"
            for s in steps
        )
    else:
        fingerprints = (fingerprint("run_failure", job, "<run>"),)
        subjects = (f"job:{job}",)
        lines = ("the run failed outside any step (see its event log)",)
    return Alert(
        kind="run_failure",
        severity="high",
        title=f"Dagster run of {job} failed: {len(steps) or 1} failed step(s)",
        lines=lines,
        fields={"job": job, "run_id": run_id, "failed_steps": str(len(steps))},
        fingerprints=fingerprints,
        subjects=subjects,
        link=run_link(run_id, dagster_url),
    )


def blocking_check_alert(
    job: str,
    run_id: str,
    checks: Sequence[CheckFailure],
    skipped: Sequence[str] = (),
    dagster_url: str | None = None,
) -> Alert:
    """Blocking checks failed with ERROR severity: what they found, and what was held."""
    held = ", ".join(skipped) if skipped else "everything downstream of the checked assets"
    return Alert(
        kind="blocking_check",
        severity="critical",
        title=f"{len(checks)} blocking check(s) failed: publish and write-back held",
        lines=tuple(
            f"{c.asset} · {c.check}: {c.failed_expectations or c.description or 'failed'}"
            for c in checks
        ),
        fields={
            "job": job,
            "run_id": run_id,
            "checks": ", ".join(f"{c.asset}:{c.check}" for c in checks),
            "held": held,
        },
        fingerprints=tuple(
            fingerprint("blocking_check", c.asset, c.check, c.failed_expectations or c.description)
            for c in checks
        ),
        subjects=tuple(c.subject for c in checks),
        link=run_link(run_id, dagster_url),
    )


@dataclass(frozen=True)
class ReturnException:
    exception_id: str
    exception_type: str
    severity: str
    owner_role: str
    node_id: str | None
    channel: str | None
    return_line_id: str | None
    detected_at: datetime | None
    is_open: bool
    detail: str

    @property
    def fingerprint(self) -> str:
        return fingerprint("return_exception", self.exception_id)

    def line(self) -> str:
        where = " · ".join(p for p in (self.node_id, self.channel) if p)
        when = f"{self.detected_at:%Y-%m-%d %H:%M}" if self.detected_at else "-"
        state = "open" if self.is_open else "closed"
        return (
            f"{self.exception_type} ({self.severity}, {state}) {where} "
            f"line {self.return_line_id or '-'} at {when}: {self.detail}"
        )


def exceptions_alert(new: Sequence[ReturnException]) -> Alert:
    """New high-severity return exceptions, newest first, counted by type and by owner."""
    ordered = sorted(new, key=lambda e: (e.detected_at or datetime.min, e.exception_id))[::-1]
    by_type = Counter(e.exception_type for e in new)
    by_owner = Counter(e.owner_role for e in new)
    is_high = any(e.severity == "high" for e in new)
    return Alert(
        kind="return_exceptions",
        severity="high" if is_high else "warning",
        title=f"{len(new)} new high-severity return exception(s), "
        f"{sum(e.is_open for e in new)} still open",
        lines=tuple(e.line() for e in ordered),
        fields={
            "by_type": ", ".join(f"{t} {n}" for t, n in by_type.most_common()),
            "owners": ", ".join(f"{o} {n}" for o, n in by_owner.most_common()),
            "nodes": ", ".join(sorted({e.node_id for e in new if e.node_id})) or "-",
        },
        fingerprints=tuple(e.fingerprint for e in ordered),
        subjects=tuple(None for _ in ordered),
    )


def read_alertable_exceptions(
    con: duckdb.DuckDBPyConnection,
    severities: Sequence[str] = ALERT_SEVERITIES,
    types: Sequence[str] = ALERT_EXCEPTION_TYPES,
) -> list[ReturnException] | None:
    """The exceptions worth an alert from `marts.fct_return_exceptions`; None when the mart
    has not been built."""
    schema, table = EXCEPTIONS_TABLE.split(".")
    (present,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ? and table_catalog = current_database()",
        [schema, table],
    ).fetchone()
    if not present:
        return None
    rows = con.execute(
        f"""
        select exception_id, exception_type, severity, owner_role, node_id, channel,
               return_line_id, detected_at, is_open, detail
        from {EXCEPTIONS_TABLE}
        where list_contains(?, severity) or list_contains(?, exception_type)
        order by detected_at, exception_id
        """,
        [list(severities), list(types)],
    ).fetchall()
    return [ReturnException(*row) for row in rows]


# -------------------------------------------------------------------------------- the alert log
@dataclass(frozen=True)
class Delivery:
    status: str  # posted | duplicate | not_configured
    new: int = 0  # fingerprints not in the log before
    repeated: int = 0  # fingerprints already alerted (counted, not posted)

    @property
    def posted(self) -> bool:
        return self.status == "posted"


ALERT_LOG_DDL = """
create table if not exists alerts (
    fingerprint   text primary key,
    kind          text not null,
    subject       text,
    title         text not null,
    first_seen    text not null,
    last_seen     text not null,
    occurrences   integer not null default 1,
    posted_at     text,
    resolved_at   text
)
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


class AlertLog:
    """Which problems have been alerted: the de-duplication memory, a SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE takes the write lock)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute(ALERT_LOG_DDL)
            yield con
        finally:
            con.close()

    @staticmethod
    def _open(con: sqlite3.Connection, fingerprints: Iterable[str]) -> set[str]:
        """Of `fingerprints`, those alerted and not resolved since."""
        keys = list(dict.fromkeys(fingerprints))
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found |= {
                row[0]
                for row in con.execute(
                    f"select fingerprint from alerts where resolved_at is null "
                    f"and fingerprint in ({marks})",
                    chunk,
                )
            }
        return found

    def unseen(self, fingerprints: Iterable[str]) -> list[str]:
        """The fingerprints that would alert now (never alerted, or resolved since)."""
        keys = list(dict.fromkeys(fingerprints))
        if not self.path.exists():
            return keys
        with self._connection() as con:
            known = self._open(con, keys)
        return [key for key in keys if key not in known]

    def deliver(self, alert: Alert, post: Callable[[dict], object]) -> Delivery:
        """Post `alert` unless every one of its fingerprints was alerted already, and record it,
        in one write transaction: a failed post records nothing (the next occurrence retries),
        and two processes never post the same problem twice."""
        subjects = alert.subjects or tuple(None for _ in alert.fingerprints)
        now = _now()
        with self._connection() as con:
            con.execute("begin immediate")
            try:
                known = self._open(con, alert.fingerprints)
                con.executemany(
                    "update alerts set occurrences = occurrences + 1, last_seen = ? "
                    "where fingerprint = ?",
                    [(now, key) for key in known],
                )
                new = [
                    (key, subject)
                    for key, subject in zip(alert.fingerprints, subjects, strict=True)
                    if key not in known
                ]
                if new:
                    post(slack_body(alert))
                    con.executemany(
                        "insert or replace into alerts (fingerprint, kind, subject, title, "
                        "first_seen, last_seen, occurrences, posted_at, resolved_at) "
                        "values (?, ?, ?, ?, ?, ?, 1, ?, null)",
                        [(key, alert.kind, subject, alert.title, now, now, now)
                         for key, subject in new],
                    )  # fmt: skip
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return Delivery("posted" if new else "duplicate", len(new), len(known))

    def resolve(self, subjects: Iterable[str]) -> int:
        """Mark the open alerts about these subjects resolved (the check passed, the step
        succeeded); a recurrence alerts again. Returns how many were resolved."""
        keys = sorted(set(subjects))
        if not keys or not self.path.exists():
            return 0
        with self._connection() as con:
            con.execute("begin immediate")
            resolved = 0
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                resolved += con.execute(
                    f"update alerts set resolved_at = ? where resolved_at is null "
                    f"and subject in ({marks})",
                    [_now(), *chunk],
                ).rowcount
            con.execute("commit")
        return resolved

    def entries(self, limit: int = 50) -> list[dict]:
        """The latest alerts, newest first."""
        if not self.path.exists():
            return []
        with self._connection() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                "select * from alerts order by last_seen desc, fingerprint limit ?", [limit]
            ).fetchall()
        return [dict(row) for row in rows]


# ---------------------------------------------------------------------------------- the webhook
def _retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.TransportError):
        return True
    return isinstance(error, httpx.HTTPStatusError) and (
        error.response.status_code == 429 or error.response.status_code >= 500
    )


@retry(
    retry=retry_if_exception(_retryable),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.5, max=4),
    reraise=True,
)
def post_webhook(url: str, body: dict, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> None:
    """POST the body as JSON; transient failures (transport, 429, 5xx) are retried twice."""
    response = httpx.post(url, json=body, timeout=timeout)
    response.raise_for_status()


@dataclass(frozen=True)
class AlertSettings:
    webhook_url: str | None
    log_path: Path
    dagster_url: str | None = None

    @classmethod
    def from_env(cls, home: Path, environ: Mapping[str, str] | None = None) -> AlertSettings:
        environ = os.environ if environ is None else environ
        return cls(
            webhook_url=environ.get(WEBHOOK_URL_ENV, "").strip() or None,
            log_path=Path(home) / ALERT_LOG_NAME,
            dagster_url=environ.get(DAGSTER_URL_ENV, "").strip() or None,
        )

    @property
    def log(self) -> AlertLog:
        return AlertLog(self.log_path)

    def send(self, alert: Alert) -> Delivery:
        """Post through the alert log; with no webhook configured, nothing is posted or
        recorded."""
        if not self.webhook_url:
            return Delivery("not_configured", len(alert.fingerprints))
        url = self.webhook_url
        return self.log.deliver(alert, lambda body: post_webhook(url, body))
