"""The true inventory: units per node x SKU x inventory state, moved only by `move`.

Every move is also booked in a source file by the caller (a WMS adjustment, a WMS receipt, a
synced POS return), so the ledger's day-to-day difference equals what the files say.
A move that would take a state below zero is a bug in the simulator and raises.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.sources.wms import INVENTORY_STATES

STATE_INDEX = {state: i for i, state in enumerate(INVENTORY_STATES)}


class NegativeStock(AssertionError):
    pass


class Ledger:
    def __init__(self, nodes: list[str], skus: int):
        self.nodes = list(nodes)
        self.units: dict[str, list[list[int]]] = {
            node: [[0] * len(INVENTORY_STATES) for _ in range(skus)] for node in nodes
        }

    def states(self, node: str, sku: int) -> list[int]:
        return self.units[node][sku]

    def get(self, node: str, sku: int, state: str) -> int:
        return self.units[node][sku][STATE_INDEX[state]]

    def move(self, node: str, sku: int, src: str | None, dst: str | None, quantity: int) -> None:
        """Move `quantity` units from state `src` to `dst` (None: from/to outside the node)."""
        if quantity <= 0:
            raise ValueError(f"a move needs a positive quantity, got {quantity}")
        row = self.units[node][sku]
        if src is not None:
            i = STATE_INDEX[src]
            if row[i] < quantity:
                raise NegativeStock(f"{node} sku#{sku}: {row[i]} {src}, cannot move {quantity}")
            row[i] -= quantity
        if dst is not None:
            row[STATE_INDEX[dst]] += quantity

    def rows(self) -> Iterator[tuple[str, int, str, int]]:
        """(node, sku index, state, units) of every non-zero position."""
        for node in self.nodes:
            for sku, row in enumerate(self.units[node]):
                for i, units in enumerate(row):
                    if units:
                        yield node, sku, INVENTORY_STATES[i], units
