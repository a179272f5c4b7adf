"""The Returns lifecycle page, run through Streamlit's AppTest against a published snapshot."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

import duckdb
from streamlit.testing.v1 import AppTest

LINES = [
    ("web", 24.0),
    ("web", 48.5),
    ("web", 61.0),
    ("web", None),
    ("zalando", 72.0),
    ("zalando", 100.25),
    ("zalando", 130.0),
    ("zalando", 201.5),
    ("zalando", None),
]


def expected_metrics(lines) -> dict[str, str]:
    """The metric values the lines imply, computed independently of the app's SQL."""
    hours_by_channel = defaultdict(list)
    for channel, hours in lines:
        if hours is not None:
            hours_by_channel[channel].append(hours)
    expected = {}
    for channel, hours in hours_by_channel.items():
        # 'inclusive' is linear interpolation between order statistics, as quantile_cont does.
        p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1]
        expected[f"{channel} median cycle time"] = f"{statistics.median(hours):.1f} h"
        expected[f"{channel} p90 cycle time"] = f"{p90:.1f} h"
    return expected


LIFECYCLE = "app_pages/lifecycle.py"


def run_app(app_path: str) -> AppTest:
    """The app opened on the lifecycle page (the Overview is the default: a second run)."""
    at = AppTest.from_file(app_path, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page(LIFECYCLE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_page_shows_median_and_p90_per_channel(app_path, publish):
    publish(LINES, published_at=datetime(2026, 1, 5, 6, 30), version="run-42")

    at = run_app(app_path)

    assert metrics(at) == expected_metrics(LINES)
    # the cycle-time chart first, then distribution, stages, weeks and breakdowns
    assert len(at.get("plotly_chart")) >= 1
    assert list(at.dataframe[0].value["channel"]) == ["web", "zalando"]
    assert any("2026-01-05 06:30" in c.value and "run-42" in c.value for c in at.caption)


def test_missing_snapshot_says_to_run_the_pipeline(app_path, returnops_home):
    at = run_app(app_path)

    assert any("returnops run" in info.value for info in at.info)
    assert not at.metric


def test_empty_snapshot_says_there_is_nothing_yet(app_path, publish):
    publish([])

    at = run_app(app_path)

    assert any("no return lines" in info.value for info in at.info)
    assert not at.metric


def test_channel_without_refunds_shows_a_dash(app_path, publish):
    publish([("web", 10.0), ("web", 20.0), ("zalando", None)])

    at = run_app(app_path)

    assert metrics(at)["zalando median cycle time"] == "—"
    assert metrics(at)["web median cycle time"] == "15.0 h"


def test_newly_published_snapshot_replaces_the_numbers(app_path, publish):
    publish(LINES, version="run-1")
    at = run_app(app_path)
    assert metrics(at) == expected_metrics(LINES)

    newer = [("web", 5.0), ("web", 7.0), ("zalando", 300.0), ("zalando", 310.0)]
    publish(newer, version="run-2")
    at.run()

    assert not at.exception
    assert metrics(at) == expected_metrics(newer)


def test_filtered_view_recomputes_from_the_lines(app_path, publish):
    publish(LINES)
    at = AppTest.from_file(app_path, default_timeout=30)
    at.query_params["channel"] = "zalando"
    at.run()
    at.switch_page(LIFECYCLE).run()

    assert not at.exception
    zalando = [line for line in LINES if line[0] == "zalando"]
    assert metrics(at) == expected_metrics(zalando)


def test_drill_down_lists_the_lines_and_downloads_them(app_path, publish, downloads):
    publish(LINES)
    at = run_app(app_path)

    lines = at.dataframe[-1].value
    assert sorted(lines["return_line_id"]) == sorted(f"rl-{i}" for i in range(len(LINES)))
    button = at.get_by_key("download_lifecycle_lines_csv")
    data = downloads[button.proto.deferred_file_id].data()
    assert data.decode().splitlines()[0].startswith("return_line_id,")
    assert len(data.decode().splitlines()) == len(LINES) + 1


def test_page_run_leaves_no_connection_open(app_path, publish):
    serving_file = publish(LINES)
    run_app(app_path)

    # DuckDB refuses a read-write connection (ConnectionException) in a process that still holds
    # the file open read-only, so this only succeeds if every page connection was closed.
    with duckdb.connect(str(serving_file)) as con:
        assert con.execute("select count(*) from fct_return_lines").fetchone() == (len(LINES),)
