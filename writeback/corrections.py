"""A stock correction: what one channel shows for a SKU at a location, and what it should show.

Corrections come from the dbt mart `fct_stock_corrections` (docs/marts.md) as a DataFrame, or
from code as a list of `Correction`. Their id is deterministic, so the same correction produced
twice is one outbox row; `correction_id_for` is the formula, reproducible in SQL:

    'cor_' || left(md5(concat_ws('|', channel, sku, coalesce(location_id, ''),
        published_quantity, target_quantity, coalesce(strftime(basis_published_at,
        '%Y-%m-%dT%H:%M:%S.%f'), ''))), 24)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from writeback.settings import WritebackSettings


def correction_id_for(
    channel: str,
    sku: str,
    location_id: str | None,
    published_quantity: int,
    target_quantity: int,
    basis_published_at: datetime | None = None,
) -> str:
    # The basis time is part of the identity: a channel that drifts back to a value we already
    # corrected once needs a new correction, not the old (acked) one.
    basis = basis_published_at.strftime("%Y-%m-%dT%H:%M:%S.%f") if basis_published_at else ""
    key = "|".join(
        [channel, sku, location_id or "", str(published_quantity), str(target_quantity), basis]
    )
    return "cor_" + hashlib.md5(key.encode()).hexdigest()[:24]


class Correction(BaseModel):
    model_config = ConfigDict(frozen=True)

    correction_id: str
    channel: str
    sku: str
    location_id: str | None = None  # Shopify location (numeric id or gid); none for Amazon
    inventory_item_id: str | None = None  # Shopify inventory item (numeric id or gid)
    published_quantity: int  # what the channel shows now: the compare-and-set base
    target_quantity: int  # what it should show (ATP)
    delta: int = 0
    unit_value: float = 0.0  # money per unit, for the approval threshold by value
    needs_approval: bool = False  # the mart's own flag; the thresholds may add to it
    basis_published_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_delta(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("delta") is None:
            data = dict(data)
            data["delta"] = int(data["target_quantity"]) - int(data["published_quantity"])
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Correction:
        if self.delta != self.target_quantity - self.published_quantity:
            raise ValueError(
                f"correction {self.correction_id}: delta {self.delta} is not target "
                f"{self.target_quantity} - published {self.published_quantity}"
            )
        if self.target_quantity < 0:
            raise ValueError(f"correction {self.correction_id}: negative target quantity")
        return self

    @classmethod
    def create(cls, **fields: Any) -> Correction:
        """A correction whose id is derived from its content (the mart's formula)."""
        fields.setdefault(
            "correction_id",
            correction_id_for(
                fields["channel"],
                fields["sku"],
                fields.get("location_id"),
                fields["published_quantity"],
                fields["target_quantity"],
                fields.get("basis_published_at"),
            ),
        )
        return cls(**fields)

    def approval_reason(self, settings: WritebackSettings) -> str | None:
        """Why this correction needs an operator's approval, or None when it does not."""
        reasons = []
        if self.needs_approval:
            reasons.append("flagged by the mart")
        if abs(self.delta) > settings.approval_units:
            reasons.append(f"{abs(self.delta)} units > {settings.approval_units}")
        value = abs(self.delta) * self.unit_value
        if value > settings.approval_value:
            reasons.append(f"value {value:,.2f} > {settings.approval_value:,.2f}")
        return "; ".join(reasons) or None

    def recomputed(self, observed_quantity: int, observed_at: datetime) -> Correction:
        """The same target from what the channel was seen to show: a new correction."""
        return Correction.create(
            channel=self.channel,
            sku=self.sku,
            location_id=self.location_id,
            inventory_item_id=self.inventory_item_id,
            published_quantity=observed_quantity,
            target_quantity=self.target_quantity,
            unit_value=self.unit_value,
            needs_approval=self.needs_approval,
            basis_published_at=observed_at,
        )


def _clean(value: Any) -> Any:
    """pandas missing values (NaN, NaT, NA) as None; numpy scalars as Python ones."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def as_corrections(
    corrections: pd.DataFrame | Iterable[Correction | dict] | None,
) -> list[Correction]:
    """Corrections from a DataFrame (the mart's columns), dicts or `Correction`s."""
    if corrections is None:
        return []
    if isinstance(corrections, pd.DataFrame):
        names = [n for n in Correction.model_fields if n in corrections.columns]
        records = corrections[names].to_dict("records")
        corrections = [{k: _clean(v) for k, v in r.items()} for r in records]
    result = []
    for item in corrections:
        if isinstance(item, Correction):
            result.append(item)
            continue
        item = dict(item)
        for name in ("location_id", "inventory_item_id"):  # ids may arrive as numbers
            value = item.get(name)
            if isinstance(value, float) and value.is_integer():  # 70.0: a column with gaps
                value = int(value)
            if value is not None:
                item[name] = str(value)
        result.append(Correction(**item))
    return result
