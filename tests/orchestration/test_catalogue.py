"""Asset catalogue quality: every asset says what it is, who owns it, where it sits, what it is
made of; raw tables and marts carry the freshness SLAs of the seed."""

import csv

import dagster as dg
import pytest

from ingest.sources import ENTITIES
from tests.orchestration.test_definitions import load_definitions

GROUPS = {"ingest", "staging", "marts", "quality", "serving", "writeback"}


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> list[dg.AssetSpec]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        defs = load_definitions(monkeypatch, tmp_path_factory.mktemp("home"))
        return list(defs.resolve_all_asset_specs())


def test_every_asset_has_description_owners_group_and_kinds(specs):
    assert len(specs) > 80
    problems = []
    for spec in specs:
        name = spec.key.to_user_string()
        if not (spec.description or "").strip():
            problems.append(f"{name}: no description")
        if not spec.owners:
            problems.append(f"{name}: no owners")
        if spec.group_name not in GROUPS:
            problems.append(f"{name}: group {spec.group_name!r}")
        if not spec.kinds:
            problems.append(f"{name}: no kinds")
    assert problems == []


def test_every_group_is_used(specs):
    assert {spec.group_name for spec in specs} == GROUPS


def sla_hours() -> dict[str, float]:
    from writeback.freshness import SLA_SEED

    with SLA_SEED.open() as handle:
        return {
            row["scope"]: float(row["target_hours"])
            for row in csv.DictReader(handle)
            if row["metric"] == "source_freshness"
        }


def test_raw_tables_carry_their_source_sla_as_freshness_policy(specs):
    by_key = {spec.key: spec for spec in specs}
    hours = sla_hours()
    for entity in ENTITIES:
        policy = by_key[dg.AssetKey(["raw", entity.table])].freshness_policy
        assert policy is not None, entity.table
        assert policy.fail_window.to_timedelta().total_seconds() == hours[entity.source] * 3600


def test_marts_warn_at_the_tightest_feed_and_fail_at_the_loosest(specs):
    hours = sla_hours()
    marts = [s for s in specs if s.key.path[-1].startswith(("fct_", "rpt_"))]
    # (the dims built from seeds alone have no source to be stale against)
    assert marts and all(s.freshness_policy is not None for s in marts)
    fct_return_lines = next(s for s in marts if s.key == dg.AssetKey("fct_return_lines"))
    policy = fct_return_lines.freshness_policy
    feeding = {h for source, h in hours.items() if source != "approvals"}
    assert policy.fail_window.to_timedelta().total_seconds() <= max(feeding) * 3600
    assert policy.warn_window.to_timedelta().total_seconds() == min(feeding) * 3600
