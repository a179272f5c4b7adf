"""What every channel client shares: the items it sends, the outcomes and audit records it
returns, and one retry policy (tenacity) for transient failures.

Retried with backoff: timeouts, dropped connections, refused connections, HTTP 429 and 5xx and
Shopify's THROTTLED. A retry resends the same request with the same idempotency key, so a
request that was applied before its answer got lost is answered from the channel's record
instead of applied again. When a channel cannot be connected to at all, the client raises
`ChannelUnavailable` and the run leaves those corrections pending.
"""

from __future__ import annotations

import functools
import hashlib
import json
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from writeback.settings import WritebackSettings

T = TypeVar("T")
Outcome = Literal["acked", "conflict", "failed"]


@dataclass(frozen=True)
class SendItem:
    """One correction as a channel client needs it (a row of the outbox)."""

    correction_id: str
    channel: str
    sku: str
    location_id: str | None
    inventory_item_id: str | None
    published_quantity: int
    target_quantity: int


@dataclass
class ItemOutcome:
    correction_id: str
    state: Outcome
    reason: str | None = None
    observed_quantity: int | None = None  # what the channel showed, on conflict


@dataclass
class Exchange:
    """One HTTP attempt, for `ops.writeback_audit`: never holds a header (tokens live there)."""

    channel: str
    operation: str
    attempt: int
    method: str
    url: str
    correction_ids: list[str]
    idempotency_key: str | None
    request_body: str | None
    started_at: datetime
    elapsed_ms: float = 0.0
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None


@dataclass
class SendResult:
    """What a batch came to. Exchanges carrying an idempotency key were writes: the outbox counts
    them as the attempts of the corrections they carried."""

    outcomes: list[ItemOutcome] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    # set when the channel became unavailable: items without an outcome were not delivered
    unavailable: str | None = None

    def merge(self, other: SendResult) -> None:
        self.outcomes += other.outcomes
        self.exchanges += other.exchanges
        self.unavailable = self.unavailable or other.unavailable


class ChannelUnavailable(Exception):
    """The channel could not be reached or refused our credentials: nothing was delivered."""

    def __init__(self, channel: str, reason: str):
        super().__init__(f"channel {channel} unavailable: {reason}")
        self.channel = channel
        self.reason = reason


class RetryableResponse(Exception):
    """A response that means "try again later": 429, 5xx, THROTTLED."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class RequestRejected(Exception):
    """A response no retry will change (4xx, GraphQL errors): the items fail with this reason."""


class GaveUp(Exception):
    """Every attempt failed transiently; the items fail with this reason."""


def idempotency_key_for(parts: Iterable[str], salt: str = "") -> str:
    """The same parts (and salt) always give the same key, in any order, in any process."""
    digest = hashlib.sha256("\n".join([salt, *sorted(parts)]).encode()).hexdigest()
    return f"returnops-{digest[:40]}"


def describe(exc: BaseException) -> str:
    """A short reason for a failed attempt; never includes headers."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({type(exc).__name__})"
    return str(exc) or type(exc).__name__


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # loading the CA bundle takes ~40 ms: once per process, not once per channel and run
    return ssl.create_default_context()


def make_http_client(settings: WritebackSettings, headers: dict[str, str]) -> httpx.Client:
    timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
    limits = httpx.Limits(max_connections=max(8, settings.amazon_concurrency * 2))
    return httpx.Client(timeout=timeout, headers=headers, limits=limits, verify=_tls_context())


def _wait(settings: WritebackSettings) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=settings.backoff_initial_s,
        max=settings.backoff_max_s,
        jitter=settings.backoff_initial_s / 2,
    )

    def wait(state: RetryCallState) -> float:
        # a channel that says when to come back (Retry-After, the cost bucket) is believed
        hint = getattr(state.outcome.exception(), "retry_after", None)
        if hint is not None:
            return min(max(hint, 0.0), settings.backoff_max_s)
        return backoff(state)

    return wait


def with_retries(settings: WritebackSettings, attempt: Callable[[int], T]) -> T:
    """Call `attempt(n)` for n = 1, 2, ... until it returns or the attempts run out.

    Exhausted: a refused connection raises `httpx.ConnectError` (the caller reports the channel
    unavailable); anything else transient raises `GaveUp` with the last reason.
    """
    retrying = Retrying(
        stop=stop_after_attempt(settings.max_attempts),
        wait=_wait(settings),
        retry=retry_if_exception_type((httpx.TransportError, RetryableResponse)),
        reraise=True,
    )
    counter = iter(range(1, settings.max_attempts + 1))
    try:
        return retrying(lambda: attempt(next(counter)))
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise
    except (httpx.TransportError, RetryableResponse) as exc:
        raise GaveUp(f"gave up after {settings.max_attempts} attempts: {describe(exc)}") from None


def send_json(
    http: httpx.Client,
    exchange: Exchange,
    body: Any | None = None,
    params: dict[str, str] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One HTTP attempt, recorded in `exchange` whatever happens."""
    started = time.perf_counter()
    content = json.dumps(body, separators=(",", ":")) if body is not None else None
    exchange.request_body = content
    headers = {"content-type": "application/json"} if content is not None else {}
    headers |= extra_headers or {}
    try:
        response = http.request(
            exchange.method, exchange.url, content=content, params=params, headers=headers
        )
    except httpx.HTTPError as exc:
        exchange.error = describe(exc)
        raise
    finally:
        exchange.elapsed_ms = (time.perf_counter() - started) * 1000
    exchange.status_code = response.status_code
    exchange.response_body = response.text
    return response


def check_status(response: httpx.Response, channel: str) -> None:
    """Raise what a non-2xx status means for the caller."""
    status = response.status_code
    if status < 300:
        return
    if status in (401, 403):
        raise ChannelUnavailable(channel, f"credentials refused (HTTP {status})")
    if status == 429 or status >= 500:
        raise RetryableResponse(f"HTTP {status}", retry_after=_retry_after(response))
    raise RequestRejected(f"HTTP {status}: {response.text[:300]}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
