"""The discrete-event engine: a clock, a queue of scheduled actions, and the day loop.

Every action runs at its own timestamp, in time order (ties in scheduling order), and writes
the records its source makes at that moment into that day's landing buffers. At the end of
each day the engine counts the stock, publishes channel stock, writes the day's truth rows and
flushes the day's files. Memory holds only what is still in flight (open returns, queues),
never the run's history, so `--scale 100` streams like `--scale 1`.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from ingest.simulator.clock import DAY, csv_ts, day_start, day_text
from ingest.simulator.inspection import Inspection
from ingest.simulator.ledger import Ledger
from ingest.simulator.model import Case
from ingest.simulator.params import START, Scenario
from ingest.simulator.problems import FileInjector, ProblemLog
from ingest.simulator.returns import Returns
from ingest.simulator.rules import Rules
from ingest.simulator.sales import Sales
from ingest.simulator.stock import Stock
from ingest.simulator.truth import Truth
from ingest.simulator.writers import Landing
from ingest.sources import wms

Progress = Callable[[int, int], None]


class Random(random.Random):
    """The stdlib generator with cheaper integer draws (they run for every record).

    `int(random() * n)` instead of rejection sampling on `getrandbits`: its bias, below
    n / 2**53, is far under anything a test could see."""

    def _randbelow(self, n: int) -> int:
        return int(self.random() * n)

    def randrange(self, n: int) -> int:  # type: ignore[override]  # only ever one argument
        return int(self.random() * n)

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


class Engine:
    def __init__(
        self,
        landing: Path,
        truth: Path,
        days: int,
        scale: float,
        seed: int,
        scenario: Scenario,
        rules: Rules | None = None,
    ):
        self.days, self.scale, self.scenario = days, scale, scenario
        self.rules = rules or Rules()
        self.start = day_start(START)
        self.end = self.start + days * DAY
        # nothing is scheduled at or after this (the live simulator moves it past the end)
        self.schedule_until = self.end
        self.now = self.start - DAY
        self.today = day_text(self.now)  # the day being simulated: names today's files
        self.rng = Random(seed)
        self.prng = Random(f"problems-{seed}")  # problem decisions only
        self._queue: list[tuple] = []
        self._seq = 0
        self._ids: dict[str, int] = {}
        self._adjustments: dict[str, int] = {}
        self._adjustment_lines: dict[str, list[str]] = {}
        self._adjustment_day = ""
        self.landing = Landing(landing)
        self.truth = Truth(truth)
        self.problems = ProblemLog(self.truth)
        self.injector = FileInjector(
            self.problems, self.prng, days, scenario.malformed_rows, scenario.truncated_files
        )
        self.ledger = Ledger([*self.rules.dcs, *self.rules.stores], len(self.rules.products))
        self.sales = Sales(self)
        self.returns = Returns(self)
        self.inspection = Inspection(self)
        self.stock = Stock(self)

    # ------------------------------------------------------------------ scheduling
    def at(self, ts: int, action: Callable, *args, case: Case | None = None, prio: int = 0) -> bool:
        """Run `action(*args)` at `ts`; nothing at or after the end of the window runs.

        With `case`, the case stays open (its truth unwritten) until the action has run."""
        if ts >= self.schedule_until:
            return False
        if case is not None:
            case.pending += 1
        heapq.heappush(self._queue, (ts, prio, self._seq, action, args, case))
        self._seq += 1
        return True

    def hold(self, case: Case) -> None:
        """Keep `case` open while it waits somewhere other than the queue (inspection)."""
        case.pending += 1

    def release(self, case: Case) -> None:
        case.pending -= 1
        if case.pending == 0:
            self.returns.finish(case)

    def next_id(self, kind: str) -> int:
        n = self._ids.get(kind, 0) + 1
        self._ids[kind] = n
        return n

    # ------------------------------------------------------------------ bookings
    def adjust(
        self,
        node: str,
        sku: int,
        src: str | None,
        dst: str | None,
        quantity: int,
        reason: str,
        reference: str,
    ) -> None:
        """Move units in the ledger and book the move as the node's WMS adjustment.

        The commonest record of all, so its CSV line is formatted here directly, in the
        contract's column order (`ingest.sources.wms.ADJUSTMENTS`)."""
        self.ledger.move(node, sku, src, dst, quantity)
        n = self._adjustments[node] = self._adjustments.get(node, 0) + 1
        lines = self._adjustment_lines.get(node)
        if lines is None or self._adjustment_day != self.today:
            if self._adjustment_day != self.today:
                self._adjustment_lines, self._adjustment_day = {}, self.today
            name = f"adjustments_{node}_{self.today}.csv"
            lines = self._adjustment_lines[node] = self.landing.lines(wms.ADJUSTMENTS, name)
        lines.append(
            f"ADJ-{node[3:]}-{n:08d},{node},{csv_ts(self.now)},{self.rules.products[sku].sku},"
            f"{src or ''},{dst or ''},{quantity},{reason},{reference}"
        )

    def webhook(self, entity, prefix: str, payload: dict, key: str) -> None:
        """Deliver a webhook into today's `<prefix>_<day>.ndjson`; at-least-once delivery
        sends some twice, the second copy minutes later or, when late, days later."""
        line = self.landing.add(entity, f"{prefix}_{self.today}.ndjson", payload)
        sc = self.scenario
        if sc.duplicate_webhook_rate and self.prng.random() < sc.duplicate_webhook_rate:
            late = self.prng.random() < sc.late_duplicate_share
            delay = self.prng.randint(DAY, 3 * DAY) if late else self.prng.randint(5, 1_800)
            self.at(self.now + delay, self._redeliver, entity, prefix, line, key, self.now)

    def _redeliver(self, entity, prefix: str, line: str, key: str, first_at: int) -> None:
        name = f"{prefix}_{day_text(self.now)}.ndjson"
        self.landing.add_line(entity, name, line)
        late = self.now // DAY != first_at // DAY
        self.problems.add(
            "late_duplicate_webhook" if late else "duplicate_webhook",
            entity.source,
            key=key,
            file=f"{entity.source}/{name}",
            occurred_at=self.now,
            detail=f"{entity.table} payload first delivered {day_text(first_at)}, "
            f"again {self.now - first_at} s later",
        )

    # ------------------------------------------------------------------ the run
    def _log_standing_problems(self) -> None:
        """Problems that are a standing condition rather than single events."""
        sc = self.scenario
        for node, factor in sc.inspection_capacity_factor:
            if factor < 1:
                self.problems.add(
                    "inspection_backlog",
                    "wms",
                    node_id=node,
                    occurred_at=self.start,
                    detail=f"inspects {factor:.0%} of its recent daily receipt lines per day",
                )
        if sc.restock_before_inspection_categories:
            self.problems.add(
                "restock_before_inspection",
                "wms",
                node_id=sc.restock_before_inspection_node,
                occurred_at=self.start,
                detail="restocks returned "
                + ", ".join(sc.restock_before_inspection_categories)
                + " before inspecting them",
            )
        for store in sc.pos_end_of_day_stores:
            self.problems.add(
                "pos_end_of_day_batch",
                "pos",
                node_id=store,
                occurred_at=self.start,
                detail="syncs store returns once a day at about 22:00",
            )
        if sc.lagging_channel:
            self.problems.add(
                "channel_stock_lag",
                "channel_stock",
                channel=sc.lagging_channel,
                occurred_at=self.start,
                detail=f"publishes the ATP of {sc.channel_lag_hours} h before its snapshot",
            )

    def run(self, progress: Progress | None = None) -> None:
        self._log_standing_problems()
        self.stock.opening(self.start - DAY)
        self._flush(-1, self.start - DAY)
        for day in range(self.days):
            t0 = self.start + day * DAY
            self.now, self.today = t0, day_text(t0)
            self.sales.begin_day(t0)
            self.returns.begin_day(t0)
            self.inspection.begin_day(t0)
            self.stock.begin_day(t0)
            limit = t0 + DAY
            queue = self._queue
            while queue and queue[0][0] < limit:
                ts, _, _, action, args, case = heapq.heappop(queue)
                self.now = ts
                action(*args)
                if case is not None:
                    self.release(case)
            self.now = limit - 1
            self.stock.end_of_day(t0)
            self.inspection.end_of_day(t0)
            self._flush(day, t0)
            if progress is not None:
                progress(day + 1, self.days)
        self.returns.finish_all()
        self.truth.close()

    def _flush(self, day: int, day_ts: int) -> None:
        buffers = self.landing.take()
        if day >= 0:
            buffers = self.injector.apply(day, day_ts, buffers)
        self.landing.write(buffers)

    def day_of(self, ts: int):
        return START + timedelta(days=(ts - self.start) // DAY)
