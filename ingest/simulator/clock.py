"""Simulated time: whole seconds since the Unix epoch (UTC), rendered the way each format wants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAY = 86_400
HOUR = 3_600
MINUTE = 60

_EPOCH = date(1970, 1, 1)
_dates: dict[int, str] = {}


def day_start(day: date) -> int:
    return (day - _EPOCH).days * DAY


def date_of(ts: int) -> date:
    return _EPOCH + timedelta(days=ts // DAY)


def day_text(ts: int) -> str:
    """'YYYY-MM-DD' of the UTC day `ts` falls on (cached: called for every record)."""
    d = ts // DAY
    text = _dates.get(d)
    if text is None:
        text = _dates[d] = (_EPOCH + timedelta(days=d)).isoformat()
    return text


_CLOCK: list[str] = []


def _clock(ts: int) -> str:
    """'HH:MM:SS' of the second of the day (a table: this runs for every record written)."""
    if not _CLOCK:
        _CLOCK.extend(
            f"{s // HOUR:02d}:{s % HOUR // MINUTE:02d}:{s % MINUTE:02d}" for s in range(DAY)
        )
    return _CLOCK[ts % DAY]


def iso_z(ts: int) -> str:
    """JSON timestamps: 2026-01-05T14:03:09Z."""
    return f"{day_text(ts)}T{_clock(ts)}Z"


def iso_offset(ts: int) -> str:
    """Amazon report timestamps: 2026-01-05T14:03:09+00:00."""
    return f"{day_text(ts)}T{_clock(ts)}+00:00"


def csv_ts(ts: int) -> str:
    """CSV timestamps (UTC): 2026-01-05 14:03:09."""
    return f"{day_text(ts)} {_clock(ts)}"


def to_datetime(ts: int) -> datetime:
    """Naive UTC datetime (as the warehouse lands timestamps)."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
