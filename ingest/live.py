"""Live mode of the simulator: keep landing new files, about `rate` records a second, until stopped.

`run_live(home, rate)` drives the batch simulator's own engine (`ingest.simulator.engine`) forward
in compressed simulated time, so live events are the same business as the history: the same
formats, ids that continue the history's, returns of orders that exist, stock that moves on from
the last count.

- **Continuing the history.** When the landing zone holds a simulated history, the engine first
  replays it in memory (same seed, scale and scenario, nothing written) up to its last day, and
  checks that the replayed last day equals the files on disk byte for byte, so a history made
  with other options is refused rather than continued with ids that point at nothing. Actions
  the history scheduled past its end (receipts, inspections, refunds of open returns) stay
  queued and happen live. With an empty landing zone the engine starts at the opening count.
- **Compressed time.** Every `tick` seconds the engine runs the queue of scheduled actions on
  until it has produced `rate * tick` more records (or a day ends: the day's counts and channel
  stock are written then), and those records are written as one file per entity, named like the
  batch files with a sequence number before the extension, `orders_2026-03-02.live-000017.ndjson`
  (the file's day stays where the staging models read it from the name). The stock counts at
  a day's end come as one burst on top of the rate.
- **No half-written files.** A file is written to `.<name>.tmp` beside its final name (no
  source's pattern matches it) and renamed onto the name with `os.replace`, so the loader and the
  landing sensor see whole files only.
- **No rejects.** Live files carry no injected malformed rows or truncated copies (the history's
  behavioural problems, such as duplicate webhooks and back-dated reports, go on).
- **Stopping and resuming.** SIGINT/SIGTERM end the current tick cleanly; `home/live_state.json`
  records how far the live run got, so the next `--live` replays up to there and continues.
"""

from __future__ import annotations

import heapq
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from ingest.simulator.clock import DAY, day_text
from ingest.simulator.engine import Engine
from ingest.simulator.params import START, Scenario
from ingest.simulator.writers import FileBuffer
from ingest.sources import shopify

STATE_FILE = "live_state.json"
LIVE_MARK = ".live-"
TMP_SUFFIX = ".tmp"
# the live window: far enough that nothing scheduled is ever dropped for being past the end
HORIZON_DAYS = 3_650


class LiveError(RuntimeError):
    """The landing zone cannot be continued with these options."""


@dataclass
class LiveState:
    """How far live mode got: enough to replay to the same point and go on."""

    seed: int
    scale: float
    problems: bool
    history_days: int
    steps: int = 0  # actions and day ends the live phase has run
    files: int = 0  # live files written (their sequence numbers)
    records: int = 0
    sim_time: str = ""  # the simulated moment reached, for people

    @classmethod
    def read(cls, path: Path) -> LiveState | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def write(self, path: Path) -> None:
        atomic_write(path, [json.dumps(asdict(self), indent=1).encode()])


@dataclass(frozen=True)
class Tick:
    """One tick's output, for progress reports."""

    files: int
    records: int
    sim_time: str
    total_files: int
    total_records: int

    def line(self) -> str:
        return (
            f"{self.sim_time}: {self.records:,} records in {self.files} files "
            f"(live so far: {self.total_records:,} records)"
        )


def atomic_write(target: Path, chunks) -> None:
    """Write `chunks` to `.<name>.tmp` in the target's folder, then rename it onto `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}{TMP_SUFFIX}")
    try:
        with tmp.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def live_name(path: str, seq: int) -> str:
    """`shopify/orders_2026-03-02.ndjson` -> `shopify/orders_2026-03-02.live-000017.ndjson`."""
    stem, _, suffix = path.rpartition(".")
    return f"{stem}{LIVE_MARK}{seq:06d}.{suffix}"


def history_days(landing: Path) -> int:
    """Days of batch history in `landing`: up to the last day with Shopify orders (every
    simulated day has some), 0 when there is none."""
    days = [
        date.fromisoformat(p.name.removeprefix("orders_")[:10])
        for p in (landing / shopify.ORDERS.source).glob(shopify.ORDERS.pattern)
        if LIVE_MARK not in p.name and ".redelivery." not in p.name
    ]
    return (max(days) - START).days + 1 if days else 0


class LiveEngine(Engine):
    """The simulator's engine, stepped a slice at a time instead of a day at a time.

    `self.end` stays the history's end while the history replays (Amazon decides against it
    whether a return is reported within the run, as the batch run did); scheduling is bounded
    by the live horizon instead, so nothing in flight at the end of the history is dropped."""

    def __init__(self, landing: Path, truth: Path, history: int, scale, seed, scenario):
        super().__init__(landing, truth, history, scale, seed, scenario)
        self.horizon = self.schedule_until = self.start + (history + HORIZON_DAYS) * DAY
        self.history = history
        self.day = -1  # the day being run; -1: the opening count is still to write
        self.live = False
        self.steps = 0
        self.emit: Callable[[list[FileBuffer]], None] = lambda buffers: None
        self.verify: Callable[[list[FileBuffer]], None] = lambda buffers: None

    # ------------------------------------------------------------------ stepping
    def buffered(self) -> int:
        return sum(len(b.lines) for b in self.landing.buffers.values())

    def _begin_day(self) -> None:
        t0 = self.start + self.day * DAY
        self.now, self.today = t0, day_text(t0)
        self.sales.begin_day(t0)
        self.returns.begin_day(t0)
        self.inspection.begin_day(t0)
        self.stock.begin_day(t0)

    def step(self) -> None:
        """One action, or the end of the day when the day's actions are done."""
        if self.day < 0:  # the opening count, as `Engine.run` starts
            self._log_standing_problems()
            self.stock.opening(self.start - DAY)
            self._end_slice(-1, self.start - DAY)
            self.day = 0
            self._begin_day()
        else:
            t0 = self.start + self.day * DAY
            queue = self._queue
            if queue and queue[0][0] < t0 + DAY:
                ts, _, _, action, args, case = heapq.heappop(queue)
                self.now = ts
                action(*args)
                if case is not None:
                    self.release(case)
            else:
                self.now = t0 + DAY - 1
                self.stock.end_of_day(t0)
                self.inspection.end_of_day(t0)
                self._end_slice(self.day, t0)
                self.day += 1
                self._begin_day()
        if self.live:
            self.steps += 1

    def _end_slice(self, day: int, day_ts: int) -> None:
        """The end of a day: the history's files (replayed, checked, not written) or live ones."""
        if self.live:
            self.flush()
            return
        buffers = self.landing.take()
        if day >= 0:  # the batch run's injections, so the replay stays byte-identical
            buffers = self.injector.apply(day, day_ts, buffers)
        if day == self.history - 1:
            self.verify(buffers)

    def flush(self) -> None:
        """Hand what the buffers hold to `emit`; the landing starts empty again."""
        buffers = self.landing.take()
        # `adjust` keeps the day's adjustment line lists: they were just taken
        self._adjustment_lines = {}
        self.emit(buffers)

    def replay_history(self) -> None:
        while self.history and self.day < self.history:
            self.step()
        self.end = self.horizon  # from here on Amazon reports whatever is reported
        self.live = True

    def run_steps(self, steps: int) -> None:
        """Run live steps without writing (a resumed live run catching up)."""
        while self.steps < steps:
            self.step()
            if self.day >= 0 and self.steps % 256 == 0:
                self.landing.take()
                self._adjustment_lines = {}
        self.landing.take()
        self._adjustment_lines = {}

    def advance(self, records: int) -> None:
        """Run on until the buffers hold `records` records or a day has ended."""
        day = self.day
        n = 0
        while self.day == day:
            self.step()
            n += 1
            if n % 32 == 0 and self.buffered() >= records:
                return


def _verify_against(landing: Path) -> Callable[[list[FileBuffer]], None]:
    def verify(buffers: list[FileBuffer]) -> None:
        for buffer in buffers:
            if not buffer.lines:
                continue
            path = landing / buffer.path
            replayed = b"".join(buffer.chunks())
            if not path.exists() or path.read_bytes() != replayed:
                raise LiveError(
                    f"the landing zone's history does not match a replay with these options "
                    f"({buffer.path} differs): pass the --scale, --seed and --problems/"
                    f"--no-problems the history was simulated with"
                )

    return verify


def run_live(
    home: Path,
    rate: float,
    scale: float = 1.0,
    seed: int = 7,
    problems: bool = True,
    tick: float = 2.0,
    stop: threading.Event | None = None,
    on_tick: Callable[[Tick], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> LiveState:
    """Write live files into `home/landing` at about `rate` records a second until `stop` is
    set (or SIGINT/SIGTERM arrive, when called from the main thread). Returns the state saved
    in `home/live_state.json`."""
    if rate <= 0 or tick <= 0:
        raise ValueError(f"rate and tick must be > 0 (got rate={rate}, tick={tick})")
    home = Path(home)
    landing = home / "landing"
    state_path = home / STATE_FILE
    history = history_days(landing)
    state = LiveState.read(state_path)
    if state is not None and state.history_days != history:
        state = None  # a new history was simulated since: start live from it
    if state is not None:
        scale, seed, problems = state.scale, state.seed, state.problems
    else:
        state = LiveState(seed=seed, scale=scale, problems=problems, history_days=history)
    scenario = Scenario() if problems else Scenario().without_problems()
    stop = stop or threading.Event()
    restore = _install_stop_handlers(stop)
    try:
        with tempfile.TemporaryDirectory(prefix="returnops-live-truth-") as truth:
            engine = LiveEngine(landing, Path(truth), history, scale, seed, scenario)
            engine.verify = _verify_against(landing)
            engine.replay_history()
            engine.run_steps(state.steps)

            def emit(buffers: list[FileBuffer]) -> None:
                state.files += 1
                written = 0
                for buffer in buffers:
                    if buffer.lines:
                        target = landing / live_name(buffer.path, state.files)
                        atomic_write(target, buffer.chunks())
                        written += 1
                        state.records += len(buffer.lines)
                if not written:
                    state.files -= 1
                tick_out.append((written, sum(len(b.lines) for b in buffers)))

            tick_out: list[tuple[int, int]] = []
            engine.emit = emit
            if on_ready is not None:
                on_ready(f"live from {day_text(engine.now)} (history: {history} days)")
            started = time.monotonic()
            sent = 0
            while not stop.is_set():
                due = rate * (time.monotonic() - started + tick)
                if sent < due:
                    engine.advance(int(due - sent))
                    engine.flush()
                    state.steps, state.sim_time = engine.steps, day_text(engine.now)
                    state.write(state_path)
                    files = sum(f for f, _ in tick_out)
                    records = sum(r for _, r in tick_out)
                    tick_out.clear()
                    # a day's end (its stock counts) comes as one burst on top of the rate
                    sent = min(sent + records, due)
                    if on_tick is not None and files:
                        total = state.files
                        on_tick(Tick(files, records, state.sim_time, total, state.records))
                stop.wait(tick)
    finally:
        restore()
    return state


def _install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set `stop` (the current tick finishes its files); a no-op off the
    main thread, where signals cannot be handled."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
