import json

from ingest.sources.channel_stock import SNAPSHOTS
from tests.writeback.conftest import outbox, query, settings_for, shown, stock_and_corrections
from writeback import run_writeback


def test_every_correction_is_acked_applied_once_and_acknowledged_in_landing(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(300)  # web and zalando: 2 Shopify batches each
    sandbox.seed(stock)
    warehouse, landing = tmp_path / "wh.duckdb", tmp_path / "landing"

    report = run_writeback(warehouse, corrections, settings_for(sandbox), landing=landing)

    assert report.acked == 300 and report.conflicts == report.failed == 0
    assert report.states == {"acked": 300}
    assert all(quantity == 12 for quantity in shown(sandbox).values())
    counts = sandbox.applications()
    assert counts["changes"] == 300 and set(counts["changes_by_item"].values()) == {1}
    # Shopify: 100 items per channel fit one mutation each; Amazon: one patch per listing
    assert counts["applications_by_key"].keys() >= {
        f"{c}/{row['idempotency_key']}"
        for c in ("web", "zalando")
        for row in outbox(warehouse).values()
        if row["channel"] == c
    }
    # the acks land through ingest's own loader as the contract's rows, one per correction
    from ingest.loader import load_new_files  # here: collecting the module needs no loader

    loaded = load_new_files(warehouse, SNAPSHOTS, landing)
    assert loaded.landed == 300 and loaded.rejected == 0
    acked = query(
        warehouse,
        "select count(distinct correction_id), min(quantity), max(quantity) "
        "from raw.channel_stock__snapshots where origin = 'writeback_ack'",
    )
    assert acked == [(300, 12, 12)]


def test_audit_keeps_every_request_and_answer(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(6)
    sandbox.seed(stock)
    warehouse = tmp_path / "wh.duckdb"
    run_writeback(warehouse, corrections, settings_for(sandbox), landing=tmp_path / "landing")

    rows = query(
        warehouse,
        "select channel, operation, request_body, response_body, status_code, correction_ids "
        "from ops.writeback_audit order by channel, operation",
    )
    operations = {(r[0], r[1]) for r in rows}
    assert operations == {
        ("amazon", "searchListingsItems"),
        ("amazon", "patchListingsItem"),
        ("web", "inventorySetQuantities"),
        ("zalando", "inventorySetQuantities"),
    }
    shopify = next(r for r in rows if r[1] == "inventorySetQuantities")
    sent = json.loads(shopify[2])["variables"]["input"]
    assert sent["name"] == "available" and sent["reason"] == "correction"
    assert sent["quantities"][0]["changeFromQuantity"] == 10
    assert json.loads(shopify[3])["data"]["inventorySetQuantities"]["userErrors"] == []
    assert all(r[4] == 200 for r in rows)
    # every correction appears in the audit of at least one write
    written = {cid for r in rows if r[1] != "searchListingsItems" for cid in r[5]}
    assert written == {c.correction_id for c in corrections}


def test_same_corrections_again_are_not_sent_again(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(9)
    sandbox.seed(stock)
    warehouse, settings = tmp_path / "wh.duckdb", settings_for(sandbox)
    run_writeback(warehouse, corrections, settings, landing=tmp_path / "landing")

    again = run_writeback(warehouse, corrections, settings, landing=tmp_path / "landing")

    assert again.enqueued == 0 and again.sent == 0
    assert sandbox.applications()["changes"] == 9
    assert again.states == {"acked": 9}


def test_dry_run_shows_what_would_be_sent_and_changes_nothing(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(4)
    big = stock_and_corrections(1, ("web",), published=10, target=200)[1][0]
    sandbox.seed(stock)
    warehouse = tmp_path / "wh.duckdb"
    settings = settings_for(sandbox)
    run_writeback(warehouse, corrections[:1], settings, landing=tmp_path / "landing")
    before = query(warehouse, "select * from ops.writeback_outbox order by correction_id")
    applied_before = sandbox.applications()

    report = run_writeback(warehouse, [*corrections, big], settings, dry_run=True)

    text = str(report)
    assert "DRY RUN" in text and "would send 3 corrections" in text
    assert "awaiting approval: 190 units > 50" in text
    assert {p.correction_id for p in report.planned if p.status == "send"} == {
        c.correction_id for c in corrections[1:]
    }
    assert report.table().row_count == 4
    assert sandbox.applications() == applied_before
    assert query(warehouse, "select * from ops.writeback_outbox order by correction_id") == before
    assert (
        not (tmp_path / "landing" / "channel_stock").exists()
        or len(list((tmp_path / "landing" / "channel_stock").iterdir())) == 1
    )  # the first, real run's ack file only


def test_dry_run_on_a_missing_warehouse_creates_nothing(sandbox, tmp_path):
    _, corrections = stock_and_corrections(3)
    report = run_writeback(
        tmp_path / "none.duckdb", corrections, settings_for(sandbox), dry_run=True
    )
    assert len(report.planned) == 3
    assert not (tmp_path / "none.duckdb").exists()


def test_a_channel_without_write_back_fails_its_corrections_and_the_rest_go_out(sandbox, tmp_path):
    stock, corrections = stock_and_corrections(2, ("web",))
    sandbox.seed(stock)
    store = corrections[0].model_copy(update={"channel": "store", "correction_id": "cor_store"})
    settings = settings_for(sandbox).model_copy(
        update={"channel_protocols": {"web": "shopify_graphql", "store": "none"}}
    )

    report = run_writeback(tmp_path / "wh.duckdb", [*corrections, store], settings)

    assert report.states == {"acked": 2, "failed": 1}
    assert outbox(tmp_path / "wh.duckdb")["cor_store"]["status_reason"] == (
        "channel store has no write-back protocol"
    )
