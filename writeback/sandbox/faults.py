"""Switchable faults: what a real channel API does to a client on a bad day.

Each fault fires on a channel API request with probability `rate` (seeded, so runs repeat), at
most `times` times when set (tests use `rate=1, times=2`: the next two requests), and only for
`channels` and requests `on` (`read`, `write`) when given. Control endpoints never see faults.

- `throttle`: Shopify answers HTTP 200 `THROTTLED` with its cost bucket drained; Amazon 429
  with `Retry-After: <seconds>`
- `error_5xx`: HTTP 503 before anything is applied
- `slow`: the request waits `seconds` before it is processed (the client times out and retries)
- `drop`: the request is processed and applied, then the connection closes with no answer
- `concurrent_change`: per item, its stock moves by `delta` just before a write (Shopify) or a
  read (Amazon): the correction's basis is stale by the time it is written
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FAULT_KINDS = ("throttle", "error_5xx", "slow", "drop", "concurrent_change")


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: float = Field(1.0, ge=0, le=1)
    times: int | None = Field(None, ge=0)
    seconds: float = Field(1.0, ge=0)  # slow: added latency; throttle: Amazon's Retry-After
    delta: int = -1  # concurrent_change: how far the stock moves (a sale is -1)
    channels: list[str] | None = None
    on: Literal["any", "read", "write"] = "any"  # which requests it may hit
    fired: int = 0


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)
        self.active: dict[str, Fault] = {}

    def configure(self, spec: dict[str, Any]) -> None:
        """Replace the active faults, e.g. `{"throttle": {"rate": 0.1}, "seed": 7}`."""
        spec = dict(spec)
        if "seed" in spec:
            self.random.seed(spec.pop("seed"))
        unknown = set(spec) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}; known: {list(FAULT_KINDS)}")
        self.active = {kind: Fault(**(options or {})) for kind, options in spec.items()}

    def fires(self, kind: str, channel: str, request: str = "any") -> Fault | None:
        """The fault when it fires for this request (and counts it), else None.

        `request` is "read" or "write"; a fault `on` one kind leaves the other alone.
        """
        fault = self.active.get(kind)
        if fault is None or (fault.channels is not None and channel not in fault.channels):
            return None
        if fault.on != "any" and request != fault.on:
            return None
        if fault.times is not None and fault.fired >= fault.times:
            return None
        if fault.rate < 1 and self.random.random() >= fault.rate:
            return None
        fault.fired += 1
        return fault

    def describe(self) -> dict[str, Any]:
        return {kind: fault.model_dump() for kind, fault in self.active.items()}
