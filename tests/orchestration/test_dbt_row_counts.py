"""The row counts dbt logs (macros/row_count.sql) are read off its event stream."""

from orchestration.defs.transform.dbt import logged_row_count


def jinja_log(msg: str, name: str = "JinjaLogInfo") -> dict:
    return {"info": {"name": name, "msg": msg, "level": "info"}, "data": {}}


def test_the_post_hooks_log_line_gives_table_and_rows() -> None:
    assert logged_row_count(jinja_log("returnops_row_count fct_return_lines 13452")) == (
        "fct_return_lines",
        13452,
    )


def test_anything_else_is_not_a_row_count() -> None:
    assert logged_row_count(jinja_log("returnops_row_count fct_return_lines many")) is None
    assert logged_row_count(jinja_log("some other log line")) is None
    # the same text in another kind of dbt event (say, a model's SQL echoed) does not count
    assert logged_row_count(jinja_log("returnops_row_count t 1", name="SQLQuery")) is None
    assert logged_row_count({"info": {}, "data": {}}) is None
