"""Filters as a value: from and to the URL's query parameters, and what a snapshot allows."""

from __future__ import annotations

from datetime import date

from dashboards.filters import FilterOptions, Filters, normalise
from dashboards.queries._base import bind


def getter(params: dict[str, list[str]]):
    return lambda name: params.get(name, [])


def test_round_trip_through_query_params():
    f = Filters(date(2026, 1, 5), date(2026, 1, 31), ("web", "amazon"), ("DC-EAST",), ("shoes",))

    params = f.to_query_params()

    assert params == {
        "from": "2026-01-05", "to": "2026-01-31", "channel": ["web", "amazon"],
        "node": ["DC-EAST"], "category": ["shoes"],
    }  # fmt: skip
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert Filters.from_query_params(getter(as_lists)) == f


def test_no_filters_no_params():
    assert Filters().to_query_params() == {}
    assert not Filters().active


def test_comma_separated_and_repeated_values_are_both_read():
    f = Filters.from_query_params(getter({"channel": ["web,amazon", "web", " store "]}))

    assert f.channels == ("web", "amazon", "store")


def test_bad_dates_are_ignored_and_a_reversed_range_is_turned_round():
    assert Filters.from_query_params(getter({"from": ["soon"]})).start is None
    f = Filters.from_query_params(getter({"from": ["2026-02-01"], "to": ["2026-01-01"]}))
    assert (f.start, f.end) == (date(2026, 1, 1), date(2026, 2, 1))


def test_normalise_drops_unknown_values_and_the_data_bounds():
    options = FilterOptions(
        channels=("web",), nodes=("DC-EAST",), categories=("shoes",),
        min_date=date(2026, 1, 5), max_date=date(2026, 2, 8),
    )  # fmt: skip
    wanted = Filters(date(2026, 1, 1), date(2026, 2, 8), ("web", "x"), ("y",), ("shoes",))

    assert normalise(wanted, options) == Filters(None, None, ("web",), (), ("shoes",))
    inside = Filters(date(2026, 1, 6), date(2026, 2, 7))
    assert normalise(inside, options) == inside


def test_bind_passes_only_the_parameters_a_statement_names():
    sql = "select * from t where a = $start and (len($channels::varchar[]) = 0)"

    assert bind(sql, Filters().params()) == {"start": None, "channels": []}


def test_filter_values_reach_duckdb_as_parameters_not_sql(tmp_path):
    import duckdb

    from dashboards.queries._base import channel_in, fetch

    with duckdb.connect() as con:
        con.execute("create table t (channel varchar)")
        con.execute("insert into t values ('web'), ('x'' or 1=1 --')")
        hostile = Filters(channels=("x' or 1=1 --",))
        rows = fetch(con, f"select channel from t where {channel_in()}", hostile.params())

    assert rows["channel"].tolist() == ["x' or 1=1 --"]
