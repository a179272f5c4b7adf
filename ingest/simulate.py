"""A seeded simulator of a fashion retailer's returns, writing each source in its real format.

The retailer sells on its own Shopify site (`web`) and on a marketplace (`zalando`) whose
orders arrive in Shopify through the marketplace connector; returns ship back to two DCs.
Per day the simulator writes Shopify orders/returns/refunds NDJSON and each DC's receipt CSV
into `landing/<source>/`, and, from its own state as it generates (never by reading its
output back), the ground truth of every return line into `truth/return_lines.parquet`.
Same seed, same arguments: byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

START = date(2026, 1, 5)
ORDERS_PER_DAY_AT_SCALE_1 = 830  # ≈ 50k orders over 60 days
CHANNELS = {"web": 0.62, "zalando": 0.38}
DCS = {"DC-EAST": 71001, "DC-WEST": 71002}
CATEGORIES = {  # category: (price range, return probability per line)
    "dresses": ((39, 149), 0.34),
    "tops": ((15, 49), 0.22),
    "jeans": ((49, 119), 0.30),
    "shoes": ((59, 179), 0.26),
    "accessories": ((9, 59), 0.08),
}
SHOPIFY_REASONS = {  # Shopify ReturnReason: weight (size dominates apparel)
    "SIZE_TOO_SMALL": 30,
    "SIZE_TOO_LARGE": 24,
    "STYLE": 14,
    "NOT_AS_DESCRIBED": 9,
    "COLOR": 8,
    "DEFECTIVE": 6,
    "WRONG_ITEM": 3,
    "UNWANTED": 6,
}
# Days from the order to the return request, transit back, and refund processing after
# receipt. The marketplace settles refunds through its own cycle, so it is slower.
REFUND_DELAY_HOURS = {"web": (2, 30), "zalando": (24, 96)}
NEVER_SHIPPED_BACK = 0.05


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    price: Decimal


@dataclass
class ReturnLine:
    """The true life of one return line; the simulator's state and the truth in one."""

    return_line_id: str
    return_id: str
    return_name: str
    order_id: int
    line_item_id: int
    channel: str
    sku: str
    quantity: int
    unit_price: Decimal
    reason: str
    dc_id: str
    initiated_at: datetime
    received_at: datetime | None = None
    refunded_at: datetime | None = None


@dataclass
class DayFiles:
    """Everything recorded on one day, by landing file."""

    orders: list[dict] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)
    receipts: dict[str, list[dict]] = field(default_factory=dict)


@dataclass(frozen=True)
class SimulationSummary:
    days: int
    orders: int
    return_lines: int
    files: int
    landing: Path
    truth: Path


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_catalogue(rng: random.Random, size: int = 240) -> list[Product]:
    products = []
    for n in range(size):
        category = rng.choice(sorted(CATEGORIES))
        low, high = CATEGORIES[category][0]
        price = Decimal(rng.randint(low, high)) - Decimal("0.01")
        products.append(Product(f"{category[:3].upper()}-{n:04d}", category, price))
    return products


class Simulator:
    def __init__(self, days: int, scale: float, seed: int, start: date = START):
        self.days, self.scale, self.start = days, scale, start
        self.end = datetime.combine(start + timedelta(days=days), time())
        self.rng = random.Random(seed)
        self.catalogue = make_catalogue(self.rng)
        self.files: dict[date, DayFiles] = {}
        self.lines: list[ReturnLine] = []
        self.order_count = 0
        self._next_id = {"order": 5_500_000, "line": 9_000_000, "return": 800_000, "rli": 0}
        self._next_id.update(refund=600_000, receipt=0)

    def _id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def _day(self, ts: datetime) -> DayFiles | None:
        """The files of the day `ts` is recorded on, or None when after the simulated window."""
        if ts >= self.end:
            return None
        return self.files.setdefault(ts.date(), DayFiles())

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time()) + timedelta(seconds=self.rng.randint(0, 86_399))

    def run(self) -> None:
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            mean = ORDERS_PER_DAY_AT_SCALE_1 * self.scale
            for _ in range(max(0, round(self.rng.gauss(mean, mean**0.5)))):
                self._order(self._moment(day))

    def _order(self, created_at: datetime) -> None:
        order_id = self._id("order")
        self.order_count += 1
        channel = self.rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
        products = self.rng.sample(self.catalogue, self.rng.choice([1, 1, 1, 2, 2, 3]))
        line_items = []
        for product in products:
            quantity = 1 if self.rng.random() < 0.9 else 2
            line_items.append((self._id("line"), product, quantity))
        self._day(created_at).orders.append(
            {
                "id": order_id,
                "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
                "name": f"#{order_id}",
                "created_at": iso(created_at),
                "source_name": channel,
                "currency": "EUR",
                "line_items": [
                    {"id": li, "sku": p.sku, "quantity": q, "price": str(p.price)}
                    for li, p, q in line_items
                ],
            }
        )
        returned = [
            item for item in line_items if self.rng.random() < CATEGORIES[item[1].category][1]
        ]
        if returned:
            self._return(order_id, channel, created_at, returned)

    def _return(self, order_id: int, channel: str, ordered_at: datetime, items) -> None:
        initiated_at = ordered_at + timedelta(hours=self.rng.uniform(48, 20 * 24))
        initiated_at = initiated_at.replace(microsecond=0)
        if initiated_at >= self.end:
            return
        return_number = self._id("return")
        return_id = f"gid://shopify/Return/{return_number}"
        name = f"#{order_id}-R1"
        dc_id = self.rng.choice(sorted(DCS))
        lines = [
            ReturnLine(
                return_line_id=f"gid://shopify/ReturnLineItem/{self._id('rli')}",
                return_id=return_id,
                return_name=name,
                order_id=order_id,
                line_item_id=line_item_id,
                channel=channel,
                sku=product.sku,
                quantity=quantity,
                unit_price=product.price,
                reason=self.rng.choices(
                    list(SHOPIFY_REASONS), weights=list(SHOPIFY_REASONS.values())
                )[0],
                dc_id=dc_id,
                initiated_at=initiated_at,
            )
            for line_item_id, product, quantity in items
        ]
        self.lines.extend(lines)
        self._day(initiated_at).returns.append(self._return_payload(lines, "OPEN", initiated_at))
        if self.rng.random() < NEVER_SHIPPED_BACK:
            return
        received_at = initiated_at + timedelta(hours=self.rng.uniform(40, 7 * 24))
        received_at = received_at.replace(microsecond=0)
        if (receipt_day := self._day(received_at)) is None:
            return
        receipt_id = f"RCV-{self._id('receipt'):07d}"
        for line in lines:
            line.received_at = received_at
            receipt_day.receipts.setdefault(dc_id, []).append(
                {
                    "receipt_id": receipt_id,
                    "dc_id": dc_id,
                    "received_at": received_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "rma_number": name,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "condition_note": "",
                }
            )
        low, high = REFUND_DELAY_HOURS[channel]
        refunded_at = received_at + timedelta(hours=self.rng.uniform(low, high))
        refunded_at = refunded_at.replace(microsecond=0)
        if (refund_day := self._day(refunded_at)) is None:
            return
        for line in lines:
            line.refunded_at = refunded_at
        refund_day.refunds.append(self._refund_payload(lines, return_number, refunded_at))
        refund_day.returns.append(self._return_payload(lines, "CLOSED", refunded_at))

    @staticmethod
    def _return_payload(lines: list[ReturnLine], status: str, updated_at: datetime) -> dict:
        first = lines[0]
        return {
            "id": first.return_id,
            "name": first.return_name,
            "status": status,
            "createdAt": iso(first.initiated_at),
            "updatedAt": iso(updated_at),
            "closedAt": iso(updated_at) if status == "CLOSED" else None,
            "order": {"id": f"gid://shopify/Order/{first.order_id}"},
            "returnLineItems": [
                {
                    "id": line.return_line_id,
                    "quantity": line.quantity,
                    "returnReason": line.reason,
                    "customerNote": None,
                    "fulfillmentLineItem": {
                        "lineItem": {
                            "id": f"gid://shopify/LineItem/{line.line_item_id}",
                            "sku": line.sku,
                        }  # fmt: skip
                    },
                }
                for line in lines
            ],
        }

    def _refund_payload(self, lines: list[ReturnLine], return_number: int, at: datetime) -> dict:
        refund_id = self._id("refund")
        total = sum(line.unit_price * line.quantity for line in lines)
        return {
            "id": refund_id,
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
            "order_id": lines[0].order_id,
            "created_at": iso(at),
            "processed_at": iso(at),
            "note": "Return refund",
            "return": {
                "id": return_number,
                "admin_graphql_api_id": f"gid://shopify/Return/{return_number}",
            },
            "refund_line_items": [
                {
                    "id": refund_id * 10 + n,
                    "line_item_id": line.line_item_id,
                    "quantity": line.quantity,
                    "restock_type": "return",
                    "location_id": DCS[line.dc_id],
                    "subtotal": str(line.unit_price * line.quantity),
                    "line_item": {"sku": line.sku},
                }
                for n, line in enumerate(lines)
            ],
            "transactions": [
                {
                    "id": refund_id,
                    "kind": "refund",
                    "status": "success",
                    "amount": str(total),
                    "currency": "EUR",
                }  # fmt: skip
            ],
        }


def _write_ndjson(path: Path, payloads: list[dict]) -> None:
    path.write_text("".join(json.dumps(p, separators=(",", ":")) + "\n" for p in payloads))


def _write_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())


def write_landing(sim: Simulator, landing: Path) -> int:
    (landing / "shopify").mkdir(parents=True, exist_ok=True)
    (landing / "wms").mkdir(parents=True, exist_ok=True)
    written = 0
    for day, files in sorted(sim.files.items()):
        for kind in ("orders", "returns", "refunds"):
            payloads = getattr(files, kind)
            if payloads:
                _write_ndjson(landing / "shopify" / f"{kind}_{day}.ndjson", payloads)
                written += 1
        for dc_id, rows in sorted(files.receipts.items()):
            _write_csv(landing / "wms" / f"receipts_{dc_id}_{day}.csv", rows)
            written += 1
    return written


TRUTH_SCHEMA = pa.schema(
    [
        ("return_line_id", pa.string()),
        ("return_id", pa.string()),
        ("order_id", pa.string()),
        ("channel", pa.string()),
        ("sku", pa.string()),
        ("quantity", pa.int32()),
        ("return_reason", pa.string()),
        ("dc_id", pa.string()),
        ("initiated_at", pa.timestamp("s")),
        ("received_at", pa.timestamp("s")),
        ("refunded_at", pa.timestamp("s")),
        ("refund_amount", pa.decimal128(18, 2)),
    ]
)


def write_truth(sim: Simulator, truth: Path) -> Path:
    truth.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "return_line_id": line.return_line_id,
            "return_id": line.return_id,
            "order_id": f"gid://shopify/Order/{line.order_id}",
            "channel": line.channel,
            "sku": line.sku,
            "quantity": line.quantity,
            "return_reason": line.reason,
            "dc_id": line.dc_id,
            "initiated_at": line.initiated_at,
            "received_at": line.received_at,
            "refunded_at": line.refunded_at,
            "refund_amount": line.unit_price * line.quantity if line.refunded_at else None,
        }
        for line in sim.lines
    ]
    path = truth / "return_lines.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=TRUTH_SCHEMA), path)
    return path


def simulate(home: Path, days: int = 60, scale: float = 1.0, seed: int = 7) -> SimulationSummary:
    """Generate `days` of operations into `home/landing` and the truth into `home/truth`."""
    if days < 1 or scale <= 0:
        raise ValueError(f"days must be >= 1 and scale > 0 (got days={days}, scale={scale})")
    sim = Simulator(days, scale, seed)
    sim.run()
    files = write_landing(sim, home / "landing")
    write_truth(sim, home / "truth")
    return SimulationSummary(
        days, sim.order_count, len(sim.lines), files, home / "landing", home / "truth"
    )
