"""Chart builders are pure: a DataFrame in, a figure with the expected traces out."""

import pandas as pd

from dashboards import charts


def test_cycle_time_chart_groups_median_and_p90_per_channel():
    df = pd.DataFrame(
        {
            "channel": ["web", "zalando"],
            "return_lines": [4, 5],
            "resolved_lines": [3, 4],
            "median_cycle_time_hours": [48.5, 115.1],
            "p90_cycle_time_hours": [58.5, 180.1],
        }
    )

    fig = charts.cycle_time_by_channel(df)

    assert [trace.type for trace in fig.data] == ["bar", "bar"]
    assert [trace.name for trace in fig.data] == ["Median", "p90"]
    assert list(fig.data[0].x) == ["web", "zalando"]
    assert list(fig.data[0].y) == [48.5, 115.1]
    assert list(fig.data[1].y) == [58.5, 180.1]
    assert fig.layout.barmode == "group"
    assert "hours" in fig.layout.yaxis.title.text
