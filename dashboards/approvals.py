"""Operators' approve/reject decisions on stock corrections, written as approval event files.

The dashboard never writes to the warehouse (DESIGN §2): a decision is one JSON object on one
line in `<landing>/approvals/`, in the shape of `ingest.sources.approvals.DECISIONS`, and the
pipeline ingests it like any other source. Files are written to a temporary name that the
loader's `*.json` pattern does not match, then moved into place with `os.replace`, so the loader
never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Decision = Literal["approve", "reject"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject")
APPROVALS_DIR = "approvals"


@dataclass(frozen=True)
class Approval:
    approval_id: str
    decided_at: datetime  # aware, UTC
    operator: str
    role: str
    decision: Decision
    correction_ids: tuple[str, ...]
    note: str | None = None

    def to_event(self) -> dict[str, object]:
        """The JSON object the approvals contract reads (decided_at as ISO 8601 UTC, `Z`)."""
        return {
            "approval_id": self.approval_id,
            "decided_at": self.decided_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "operator": self.operator,
            "role": self.role,
            "decision": self.decision,
            "correction_ids": list(self.correction_ids),
            "note": self.note,
        }


def make_approval(
    *,
    operator: str,
    role: str,
    decision: str,
    correction_ids: Iterable[str],
    note: str | None = None,
    decided_at: datetime | None = None,
    approval_id: str | None = None,
) -> Approval:
    """Validate an operator's decision; raises ValueError with a message fit to show them."""
    ids = tuple(dict.fromkeys(str(c).strip() for c in correction_ids if str(c).strip()))
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not operator.strip():
        raise ValueError("operator is required")
    if not role.strip():
        raise ValueError("role is required")
    if not ids:
        raise ValueError("choose at least one correction")
    moment = decided_at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Approval(
        approval_id=approval_id or uuid.uuid4().hex,
        decided_at=moment.astimezone(UTC),
        operator=operator.strip(),
        role=role.strip(),
        decision=decision,  # type: ignore[arg-type]
        correction_ids=ids,
        note=(note or "").strip() or None,
    )


def write_approval(landing: Path, approval: Approval) -> Path:
    """Drop the decision into `<landing>/approvals/` atomically; returns the file's path."""
    target_dir = Path(landing) / APPROVALS_DIR
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = approval.decided_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = target_dir / f"approval-{stamp}-{approval.approval_id}.json"
    line = json.dumps(approval.to_event(), ensure_ascii=False, separators=(",", ":")) + "\n"
    fd, staged = tempfile.mkstemp(prefix=".approval-", suffix=".tmp", dir=target_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, target)
    finally:
        Path(staged).unlink(missing_ok=True)
    return target


def record_decision(landing: Path, **fields: object) -> Path:
    """`make_approval(**fields)` then `write_approval`: what the dashboard's buttons call."""
    return write_approval(landing, make_approval(**fields))  # type: ignore[arg-type]


def written_decisions(landing: Path, limit: int = 20) -> list[dict[str, object]]:
    """The newest decision files in the landing zone (read back for the operator to see)."""
    target_dir = Path(landing) / APPROVALS_DIR
    if not target_dir.is_dir():
        return []
    files = sorted(target_dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    decisions = []
    for path in files[:limit]:
        try:
            event = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        except (OSError, ValueError, IndexError):
            continue
        decisions.append({"file": path.name, **event})
    return decisions
