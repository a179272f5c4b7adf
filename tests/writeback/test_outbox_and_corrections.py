"""The outbox and the correction model on their own (no channel involved)."""

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from writeback import Correction, WritebackSettings, as_corrections, correction_id_for, outbox
from writeback.corrections import __doc__ as corrections_doc

SETTINGS = WritebackSettings()
NOW = datetime(2026, 3, 1, 12)


def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    outbox.ensure_outbox_schema(con)
    return con


def correction(**fields) -> Correction:
    values = (
        dict(
            channel="web",
            sku="A",
            location_id="7",
            inventory_item_id="100",
            published_quantity=5,
            target_quantity=9,
        )
        | fields
    )
    return Correction.create(**values)


def test_enqueueing_the_same_corrections_twice_keeps_one_row_each():
    con = fresh()
    items = [correction(), correction(sku="B")]
    first = outbox.enqueue(con, items, SETTINGS, "r1", NOW)
    second = outbox.enqueue(con, items + items, SETTINGS, "r2", NOW)
    assert len(first.new) == 2 and second.new == [] and second.known == 2
    assert outbox.state_counts(con) == {"pending": 2}


def test_a_newer_correction_supersedes_an_unsent_one_for_the_same_item():
    con = fresh()
    old, new = correction(target_quantity=90), correction(target_quantity=8)
    outbox.enqueue(con, [old], SETTINGS, "r1", NOW)
    result = outbox.enqueue(con, [new], SETTINGS, "r2", NOW)
    assert result.superseded == [old.correction_id]
    rows = dict(con.execute("select correction_id, status from ops.writeback_outbox").fetchall())
    assert rows == {old.correction_id: "superseded", new.correction_id: "pending"}


def test_every_state_has_its_transitions_and_final_states_stay_final():
    assert set(outbox.TRANSITIONS) == set(outbox.STATES)
    for state in outbox.FINAL_STATES - {outbox.FAILED}:
        assert outbox.TRANSITIONS[state] == set()


def test_corrections_from_the_marts_dataframe():
    frame = pd.DataFrame(
        {
            "correction_id": ["c1", "c2"],
            "channel": ["web", "amazon"],
            "sku": ["A", "B"],
            "location_id": [70, np.nan],  # numbers and missing values, as pandas makes them
            "inventory_item_id": ["100", None],
            "published_quantity": np.array([5, 3], dtype="int32"),
            "target_quantity": [9, 3 + 60],
            "delta": [4, 60],
            "unit_value": [2.5, 30.0],
            "needs_approval": [False, False],
            "basis_published_at": [pd.Timestamp("2026-03-01 10:00"), pd.NaT],
        }
    )
    web, amazon = as_corrections(frame)
    assert web.location_id == "70" and amazon.location_id is None
    assert web.basis_published_at == datetime(2026, 3, 1, 10)
    assert web.approval_reason(SETTINGS) is None
    assert amazon.approval_reason(SETTINGS) == "60 units > 50; value 1,800.00 > 1,000.00"


def test_the_correction_id_formula_is_the_documented_sql():
    basis = datetime(2026, 3, 1, 10, 30, 5, 123456)
    sql = corrections_doc.split("reproducible in SQL:")[1].strip()
    with duckdb.connect() as con:
        from_sql = con.execute(
            f"select {sql} from (select 'web' as channel, 'SKU-1' as sku, '70' as location_id, "
            "5 as published_quantity, 9 as target_quantity, "
            "timestamp '2026-03-01 10:30:05.123456' as basis_published_at)"
        ).fetchone()[0]
    assert from_sql == correction_id_for("web", "SKU-1", "70", 5, 9, basis)
